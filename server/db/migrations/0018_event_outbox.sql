-- Grant events (RFC 8417 SETs) for companies: the push endpoint in the registration, and the durable outbox
-- written in the same transaction as each grant change (SECURITY.md "Grant events").
ALTER TABLE `companies` ADD `event_delivery_endpoint` text;--> statement-breakpoint
CREATE TABLE `event_outbox` (
	`seq` integer PRIMARY KEY NOT NULL,
	`jti` text NOT NULL,
	`company_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`grant_id` text,
	`event_type` text NOT NULL,
	`data` text NOT NULL,
	`created_at` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text NOT NULL,
	`settled_at` text,
	`outcome` text
);--> statement-breakpoint
CREATE UNIQUE INDEX `event_outbox_jti_unique` ON `event_outbox` (`jti`);--> statement-breakpoint
CREATE INDEX `event_outbox_pending` ON `event_outbox` (`company_id`,`settled_at`,`seq`);--> statement-breakpoint
CREATE INDEX `event_outbox_customer` ON `event_outbox` (`customer_id`);--> statement-breakpoint
CREATE INDEX `event_outbox_settled` ON `event_outbox` (`settled_at`);
