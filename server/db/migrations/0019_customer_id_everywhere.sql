-- Every table that holds customer data carries the customer id, the distribution column a sharded PostgreSQL
-- (Citus-style, by customer) would partition on (README "Storage"; the classification is server/db/tables.ts).
-- Token families, refresh tokens, codes and usage counters always belong to a grant, so their customer_id is
-- NOT NULL: SQLite cannot add a NOT NULL column without a default, so those tables are rebuilt, backfilled from
-- the row they hang off. A row whose parent is gone is not copied: it could never be used (a code or family
-- without its grant, a refresh token without its family is refused) and counts for nothing.
CREATE TABLE `__new_token_families` (
	`id` text PRIMARY KEY NOT NULL,
	`grant_id` text NOT NULL,
	`company_id` text NOT NULL,
	`dpop_jkt` text,
	`created_at` text NOT NULL,
	`revoked_at` text,
	`revoked_reason` text,
	`customer_id` text NOT NULL
);--> statement-breakpoint
INSERT INTO `__new_token_families` (`id`, `grant_id`, `company_id`, `dpop_jkt`, `created_at`, `revoked_at`, `revoked_reason`, `customer_id`)
	SELECT f.`id`, f.`grant_id`, f.`company_id`, f.`dpop_jkt`, f.`created_at`, f.`revoked_at`, f.`revoked_reason`, g.`customer_id`
	FROM `token_families` f JOIN `grants` g ON g.`id` = f.`grant_id`;--> statement-breakpoint
DROP TABLE `token_families`;--> statement-breakpoint
ALTER TABLE `__new_token_families` RENAME TO `token_families`;--> statement-breakpoint
CREATE INDEX `token_families_grant` ON `token_families` (`grant_id`);--> statement-breakpoint
CREATE INDEX `token_families_revoked` ON `token_families` (`revoked_at`);--> statement-breakpoint
CREATE TABLE `__new_refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`family_id` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`customer_id` text NOT NULL
);--> statement-breakpoint
INSERT INTO `__new_refresh_tokens` (`token_hash`, `family_id`, `created_at`, `expires_at`, `used_at`, `customer_id`)
	SELECT r.`token_hash`, r.`family_id`, r.`created_at`, r.`expires_at`, r.`used_at`, f.`customer_id`
	FROM `refresh_tokens` r JOIN `token_families` f ON f.`id` = r.`family_id`;--> statement-breakpoint
DROP TABLE `refresh_tokens`;--> statement-breakpoint
ALTER TABLE `__new_refresh_tokens` RENAME TO `refresh_tokens`;--> statement-breakpoint
CREATE INDEX `refresh_tokens_family` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_expires` ON `refresh_tokens` (`expires_at`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_used` ON `refresh_tokens` (`used_at`);--> statement-breakpoint
CREATE TABLE `__new_auth_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`company_id` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`code_challenge` text NOT NULL,
	`dpop_jkt` text,
	`family_id` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`customer_id` text NOT NULL
);--> statement-breakpoint
INSERT INTO `__new_auth_codes` (`code_hash`, `request_id`, `grant_id`, `company_id`, `redirect_uri`, `code_challenge`, `dpop_jkt`, `family_id`, `expires_at`, `used_at`, `customer_id`)
	SELECT c.`code_hash`, c.`request_id`, c.`grant_id`, c.`company_id`, c.`redirect_uri`, c.`code_challenge`, c.`dpop_jkt`, c.`family_id`, c.`expires_at`, c.`used_at`, g.`customer_id`
	FROM `auth_codes` c JOIN `grants` g ON g.`id` = c.`grant_id`;--> statement-breakpoint
DROP TABLE `auth_codes`;--> statement-breakpoint
ALTER TABLE `__new_auth_codes` RENAME TO `auth_codes`;--> statement-breakpoint
-- The usage lookup always has the grant's customer: the distribution column leads the key.
CREATE TABLE `__new_usage_counters` (
	`customer_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`action` text NOT NULL,
	`hour` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`customer_id`, `grant_id`, `action`, `hour`)
);--> statement-breakpoint
INSERT INTO `__new_usage_counters` (`customer_id`, `grant_id`, `action`, `hour`, `count`)
	SELECT g.`customer_id`, u.`grant_id`, u.`action`, u.`hour`, u.`count`
	FROM `usage_counters` u JOIN `grants` g ON g.`id` = u.`grant_id`;--> statement-breakpoint
DROP TABLE `usage_counters`;--> statement-breakpoint
ALTER TABLE `__new_usage_counters` RENAME TO `usage_counters`;--> statement-breakpoint
CREATE INDEX `usage_counters_hour` ON `usage_counters` (`hour`);--> statement-breakpoint
-- A session's customer: its subject for a customer's session; an auditor's session has none (null for good).
ALTER TABLE `sessions` ADD `customer_id` text;--> statement-breakpoint
UPDATE `sessions` SET `customer_id` = `subject_id` WHERE `subject_kind` = 'customer';
