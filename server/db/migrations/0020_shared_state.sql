-- State that several vault servers share through the database (ARCHITECTURE.md "State shared between servers"):
-- leases so that one server at a time sweeps and signs checkpoints, and fixed-window rate-limit counters.
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL
);--> statement-breakpoint
CREATE TABLE `rate_counters` (
	`key` text NOT NULL,
	`window_start` integer NOT NULL,
	`hits` integer NOT NULL,
	PRIMARY KEY(`key`, `window_start`)
);--> statement-breakpoint
CREATE INDEX `rate_counters_window` ON `rate_counters` (`window_start`);
