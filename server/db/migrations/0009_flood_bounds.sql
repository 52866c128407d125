-- Bounds against floods (SECURITY.md "Floods and bounds"): fixed-window request budgets kept in the
-- database so that every server shares them, and expiry indexes so that the sweep purges without scans.
CREATE TABLE `rate_windows` (
	`key` text NOT NULL,
	`window_end` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`key`, `window_end`)
);
--> statement-breakpoint
CREATE INDEX `rate_windows_end` ON `rate_windows` (`window_end`);--> statement-breakpoint
CREATE INDEX `auth_requests_expires` ON `auth_requests` (`expires_at`);--> statement-breakpoint
CREATE INDEX `auth_requests_company` ON `auth_requests` (`company_id`,`customer_id`,`status`);--> statement-breakpoint
CREATE INDEX `sessions_expires` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_used` ON `refresh_tokens` (`used_at`);--> statement-breakpoint
CREATE INDEX `token_families_revoked` ON `token_families` (`revoked_at`);--> statement-breakpoint
CREATE INDEX `inbox_kind_created` ON `inbox` (`kind`,`created_at`);
