-- The SQLite schema's records version (../../migrations/0024_records_version.sql), kept at 0 here: the records read
-- asks PostgreSQL for a page's ids every time. Setting it from each write would lock the customer's row inside the
-- group commit's batches, which several servers run at once over customers in no fixed order (deadlocks).
ALTER TABLE "customers" ADD COLUMN "records_version" integer DEFAULT 0 NOT NULL;
