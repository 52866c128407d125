CREATE TABLE `seen_jtis` (
	`jti` text PRIMARY KEY NOT NULL,
	`expires_at` text NOT NULL
);
