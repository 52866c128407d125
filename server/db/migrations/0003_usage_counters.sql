CREATE TABLE `usage_counters` (
	`grant_id` text NOT NULL,
	`action` text NOT NULL,
	`hour` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`grant_id`, `action`, `hour`)
);
