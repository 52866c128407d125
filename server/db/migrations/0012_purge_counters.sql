-- Expiry indexes so that the sweep purges ended usage buckets and refusal windows without scans
-- (SECURITY.md "Floods and bounds").
CREATE INDEX `usage_counters_hour` ON `usage_counters` (`hour`);--> statement-breakpoint
CREATE INDEX `refusal_windows_minute` ON `refusal_windows` (`minute`);
