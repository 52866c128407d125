-- When a grant's status last changed (revoked, expired, suspended, resumed), so that the dashboard can say
-- "Stopped on <date>" instead of the old end date; updated_at also moves when a grant is narrowed. Rows that
-- ended before this column existed take their last update, the best time known for them.
ALTER TABLE `grants` ADD `status_changed_at` text;--> statement-breakpoint
UPDATE `grants` SET `status_changed_at` = `updated_at` WHERE `status` != 'active';
