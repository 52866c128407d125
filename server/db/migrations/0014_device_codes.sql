-- Connected products (RFC 8628 device authorization grant): the product name a device client registers,
-- and the device and user codes of a device request, stored by hash and purged by the sweep.
ALTER TABLE `companies` ADD `product_name` text;--> statement-breakpoint
CREATE TABLE `device_codes` (
	`request_id` text PRIMARY KEY NOT NULL,
	`company_id` text NOT NULL,
	`customer_id` text,
	`device_code_hash` text NOT NULL,
	`user_code_hash` text NOT NULL,
	`interval_s` integer NOT NULL,
	`last_poll_at` text,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `device_codes_device_code` ON `device_codes` (`device_code_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `device_codes_user_code` ON `device_codes` (`user_code_hash`);--> statement-breakpoint
CREATE INDEX `device_codes_expires` ON `device_codes` (`expires_at`);
