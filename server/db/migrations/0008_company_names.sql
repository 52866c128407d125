-- companies/: every name a company has had, with the time it took it, so that past events show the name
-- the company had then. Version 1 of each existing company is its current name since its registration.
CREATE TABLE `company_names` (
	`company_id` text NOT NULL,
	`version` integer NOT NULL,
	`name` text NOT NULL,
	`valid_from` text NOT NULL,
	PRIMARY KEY(`company_id`, `version`)
);
--> statement-breakpoint
INSERT INTO `company_names` (`company_id`, `version`, `name`, `valid_from`) SELECT `id`, 1, `name`, `created_at` FROM `companies`;
