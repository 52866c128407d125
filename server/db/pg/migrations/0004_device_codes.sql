-- Connected products (RFC 8628), as in the SQLite migration 0014.
ALTER TABLE "companies" ADD COLUMN "product_name" text;--> statement-breakpoint
CREATE TABLE "device_codes" (
	"request_id" text PRIMARY KEY NOT NULL,
	"company_id" text NOT NULL,
	"customer_id" text,
	"device_code_hash" text NOT NULL,
	"user_code_hash" text NOT NULL,
	"interval_s" integer NOT NULL,
	"last_poll_at" text,
	"expires_at" text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "device_codes_device_code" ON "device_codes" USING btree ("device_code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "device_codes_user_code" ON "device_codes" USING btree ("user_code_hash");--> statement-breakpoint
CREATE INDEX "device_codes_expires" ON "device_codes" USING btree ("expires_at");
