-- Several audit chains (ARCHITECTURE.md, "The audit trail"): each event names the chain it links into. seq stays
-- the table's key and global order, so no table rebuild is needed and the append-only triggers stay as they are;
-- every existing row belongs to the default chain 'main'.
ALTER TABLE `audit_events` ADD `chain` text DEFAULT 'main' NOT NULL;
--> statement-breakpoint
CREATE INDEX `audit_chain` ON `audit_events` (`chain`,`seq`);
