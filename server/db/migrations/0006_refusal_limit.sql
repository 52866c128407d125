CREATE TABLE `refusal_windows` (
	`company_id` text NOT NULL,
	`minute` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`company_id`, `minute`)
);
--> statement-breakpoint
CREATE INDEX `audit_customer_action` ON `audit_events` (`customer_id`,`action`,`seq`);
