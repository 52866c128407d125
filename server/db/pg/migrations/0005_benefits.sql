CREATE TABLE "benefits" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"company_id" text NOT NULL,
	"grant_id" text NOT NULL,
	"key_hash" text NOT NULL,
	"kind" text NOT NULL,
	"amount_minor" bigint,
	"currency" text,
	"reference_sealed" "bytea",
	"status" text NOT NULL,
	"created_at" text NOT NULL,
	"answered_at" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "benefits_company_key" ON "benefits" USING btree ("company_id","key_hash");--> statement-breakpoint
CREATE INDEX "benefits_customer" ON "benefits" USING btree ("customer_id","company_id","created_at");
