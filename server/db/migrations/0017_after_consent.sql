-- Deletion requests and grant reminders (ARCHITECTURE.md, "After consent"). No cascades: a deletion
-- request outlives its grant and its customer's account.
CREATE TABLE `deletion_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`company_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`cause` text NOT NULL,
	`fields` text NOT NULL,
	`records` text NOT NULL,
	`status` text NOT NULL,
	`requested_at` text NOT NULL,
	`due_at` text NOT NULL,
	`overdue_at` text,
	`confirmed_at` text,
	`kept_fields` text,
	`kept_until` text,
	`receipt_id` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deletion_requests_grant_id_unique` ON `deletion_requests` (`grant_id`);--> statement-breakpoint
CREATE INDEX `deletion_requests_company` ON `deletion_requests` (`company_id`,`status`);--> statement-breakpoint
CREATE INDEX `deletion_requests_customer` ON `deletion_requests` (`customer_id`,`requested_at`);--> statement-breakpoint
CREATE INDEX `deletion_requests_due` ON `deletion_requests` (`status`,`due_at`);--> statement-breakpoint
CREATE TABLE `grant_notices` (
	`grant_id` text NOT NULL,
	`kind` text NOT NULL,
	`customer_id` text NOT NULL,
	`sent_at` text NOT NULL,
	PRIMARY KEY(`grant_id`, `kind`)
);
