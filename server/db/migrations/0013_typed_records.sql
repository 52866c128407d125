-- Typed records shared across companies (issue 15): a grant may name record categories with a window and
-- sources (JSON, null for a grant without records); a record carries the company's idempotency key (a
-- retried deposit is stored once), the device that deposited it, and when the customer hid it from sharing.
ALTER TABLE `grants` ADD `records` text;--> statement-breakpoint
ALTER TABLE `records` ADD `idempotency_key` text;--> statement-breakpoint
ALTER TABLE `records` ADD `device_id` text;--> statement-breakpoint
ALTER TABLE `records` ADD `hidden_at` text;--> statement-breakpoint
CREATE UNIQUE INDEX `records_idempotency` ON `records` (`customer_id`,`company_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `records_customer_category` ON `records` (`customer_id`,`category`,`created_at`);
