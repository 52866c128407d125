-- Sessions keep only a SHA-256 of their CSRF token from now on. Sessions from before held it in clear and
-- are ended (their customers sign in again); no hash can be computed here from the old values' storage.
DELETE FROM `sessions`;--> statement-breakpoint
ALTER TABLE `sessions` RENAME COLUMN `csrf_token` TO `csrf_hash`;
