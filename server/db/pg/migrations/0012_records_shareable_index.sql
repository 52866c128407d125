-- As the SQLite migration 0022: the cross-company records read pages shareable records in index order.
CREATE INDEX "records_shareable" ON "records" USING btree ("customer_id","hidden_at","created_at","id","category");
