-- The cross-company records read keeps the records it has opened (server/data/record-tails.ts) and asks the database
-- only which records make the page: with the source and device in the index too, that page is read from the index
-- alone, without a row of the table.
DROP INDEX `records_shareable`;--> statement-breakpoint
CREATE INDEX `records_shareable` ON `records` (`customer_id`,`hidden_at`,`created_at`,`id`,`category`,`company_id`,`device_id`);
