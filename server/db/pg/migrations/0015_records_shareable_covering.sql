-- As the SQLite migration 0024: the records read's page is read from the index alone.
DROP INDEX "records_shareable";--> statement-breakpoint
CREATE INDEX "records_shareable" ON "records" USING btree ("customer_id","hidden_at","created_at","id","category","company_id","device_id");
