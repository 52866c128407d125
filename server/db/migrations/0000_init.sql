CREATE TABLE `audit_checkpoints` (
	`seq` integer PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`time` text NOT NULL,
	`jws` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`time` text NOT NULL,
	`action` text NOT NULL,
	`actor_kind` text NOT NULL,
	`actor_id` text NOT NULL,
	`customer_id` text,
	`company_id` text,
	`grant_id` text,
	`decision` text,
	`body` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_time` ON `audit_events` (`time`);--> statement-breakpoint
CREATE INDEX `audit_customer` ON `audit_events` (`customer_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_company` ON `audit_events` (`company_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_grant_action` ON `audit_events` (`grant_id`,`action`,`time`);--> statement-breakpoint
CREATE TABLE `auditors` (
	`id` text PRIMARY KEY NOT NULL,
	`login_index` text NOT NULL,
	`password_hash` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `auditors_login_index_unique` ON `auditors` (`login_index`);--> statement-breakpoint
CREATE TABLE `auth_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`request_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`company_id` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`code_challenge` text NOT NULL,
	`dpop_jkt` text,
	`family_id` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE TABLE `auth_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`company_id` text NOT NULL,
	`mode` text NOT NULL,
	`redirect_uri` text,
	`state` text,
	`code_challenge` text,
	`details` text NOT NULL,
	`customer_id` text,
	`status` text NOT NULL,
	`grant_id` text,
	`decision` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `auth_requests_customer` ON `auth_requests` (`customer_id`,`status`);--> statement-breakpoint
CREATE TABLE `companies` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`auth_method` text NOT NULL,
	`secret_hash` text,
	`jwks` text,
	`redirect_uris` text NOT NULL,
	`dpop_bound` integer NOT NULL,
	`terms_version` integer NOT NULL,
	`registration_token_hash` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `company_terms` (
	`company_id` text NOT NULL,
	`version` integer NOT NULL,
	`terms` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`company_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`handle` text NOT NULL,
	`login_index` text NOT NULL,
	`password_hash` text NOT NULL,
	`kek_id` text NOT NULL,
	`wrapped_dek` blob NOT NULL,
	`criteria` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_handle_unique` ON `customers` (`handle`);--> statement-breakpoint
CREATE UNIQUE INDEX `customers_login_index_unique` ON `customers` (`login_index`);--> statement-breakpoint
CREATE TABLE `grants` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`company_id` text NOT NULL,
	`purpose` text NOT NULL,
	`fields` text NOT NULL,
	`actions` text NOT NULL,
	`terms_version` integer NOT NULL,
	`policy_version` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`auto_approved` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `grants_customer` ON `grants` (`customer_id`,`status`);--> statement-breakpoint
CREATE INDEX `grants_company` ON `grants` (`company_id`,`status`);--> statement-breakpoint
CREATE TABLE `inbox` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`kind` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	`read_at` text
);
--> statement-breakpoint
CREATE INDEX `inbox_customer` ON `inbox` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `initial_access_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`label` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE TABLE `profile_fields` (
	`customer_id` text NOT NULL,
	`field` text NOT NULL,
	`version` integer NOT NULL,
	`sealed` blob NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`customer_id`, `field`)
);
--> statement-breakpoint
CREATE TABLE `receipts` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`company_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`kind` text NOT NULL,
	`jws` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `receipts_customer` ON `receipts` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `receipts_grant` ON `receipts` (`grant_id`);--> statement-breakpoint
CREATE TABLE `records` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`company_id` text NOT NULL,
	`grant_id` text NOT NULL,
	`category` text NOT NULL,
	`sealed` blob NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `records_customer` ON `records` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`family_id` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE INDEX `refresh_tokens_family` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE TABLE `revoked_access_tokens` (
	`jti` text PRIMARY KEY NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`subject_kind` text NOT NULL,
	`subject_id` text NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_subject` ON `sessions` (`subject_id`);--> statement-breakpoint
CREATE TABLE `token_families` (
	`id` text PRIMARY KEY NOT NULL,
	`grant_id` text NOT NULL,
	`company_id` text NOT NULL,
	`dpop_jkt` text,
	`created_at` text NOT NULL,
	`revoked_at` text,
	`revoked_reason` text
);
--> statement-breakpoint
CREATE INDEX `token_families_grant` ON `token_families` (`grant_id`);