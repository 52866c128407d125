-- Mirror of SQLite migration 0013: typed records shared across companies (issue 15).
ALTER TABLE "grants" ADD COLUMN "records" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "device_id" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "hidden_at" text;--> statement-breakpoint
CREATE UNIQUE INDEX "records_idempotency" ON "records" USING btree ("customer_id","company_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "records_customer_category" ON "records" USING btree ("customer_id","category","created_at");
