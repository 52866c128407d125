-- The sweeps ask for live grants by their end (server/grants/reminders.ts every 10 s, and the expiry sweep in
-- server/grants/store.ts): without this index each run scans every grant ever made, ended ones included.
CREATE INDEX `grants_status_expires` ON `grants` (`status`,`expires_at`);
