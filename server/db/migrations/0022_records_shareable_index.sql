-- The cross-company records read (server/data/record-store.ts) pages a customer's shareable records newest first:
-- with this index the page is found in index order (no sort) and its category read from the index, so only the
-- page's own rows are fetched from the table.
CREATE INDEX `records_shareable` ON `records` (`customer_id`,`hidden_at`,`created_at`,`id`,`category`);
