-- Several servers append at once, each to its own chain (README "Storage"): seq, the table's global order, comes
-- from this sequence rather than max + 1, started above every seq already there.
CREATE SEQUENCE "audit_events_seq" AS bigint OWNED BY "audit_events"."seq";
--> statement-breakpoint
SELECT setval('audit_events_seq', COALESCE((SELECT max("seq") FROM "audit_events"), 0) + 1, false);
