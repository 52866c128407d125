-- The customer's records version (data/record-store.ts recordsVersion): a read that has a page's ids from before
-- reads only this number, and asks for the ids again when it differs. The database sets it at every write to the
-- customer's records, from any process: a new random number (53 bits, exact as a JavaScript number), so a write
-- that rolls back leaves the version it found, and the next write takes the rolled-back one again only by a
-- one-in-2^53 chance.
ALTER TABLE `customers` ADD `records_version` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
CREATE TRIGGER records_version_insert AFTER INSERT ON records
BEGIN UPDATE customers SET records_version = random() >> 11 WHERE id = NEW.customer_id; END;
--> statement-breakpoint
CREATE TRIGGER records_version_update AFTER UPDATE ON records
BEGIN UPDATE customers SET records_version = random() >> 11 WHERE id IN (OLD.customer_id, NEW.customer_id); END;
--> statement-breakpoint
CREATE TRIGGER records_version_delete AFTER DELETE ON records
BEGIN UPDATE customers SET records_version = random() >> 11 WHERE id = OLD.customer_id; END;
