-- Grant events (RFC 8417 SETs), as in the SQLite migration 0018.
ALTER TABLE "companies" ADD COLUMN "event_delivery_endpoint" text;--> statement-breakpoint
CREATE TABLE "event_outbox" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"jti" text NOT NULL,
	"company_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"grant_id" text,
	"event_type" text NOT NULL,
	"data" text NOT NULL,
	"created_at" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" text NOT NULL,
	"settled_at" text,
	"outcome" text,
	CONSTRAINT "event_outbox_jti_unique" UNIQUE("jti")
);--> statement-breakpoint
CREATE INDEX "event_outbox_pending" ON "event_outbox" USING btree ("company_id","settled_at","seq");--> statement-breakpoint
CREATE INDEX "event_outbox_customer" ON "event_outbox" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "event_outbox_settled" ON "event_outbox" USING btree ("settled_at");
