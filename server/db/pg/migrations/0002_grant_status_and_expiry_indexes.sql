ALTER TABLE "grants" ADD COLUMN "status_changed_at" text;--> statement-breakpoint
-- Rows that ended before this column existed take their last update (as in the SQLite migration 0010).
UPDATE "grants" SET "status_changed_at" = "updated_at" WHERE "status" != 'active';--> statement-breakpoint
CREATE INDEX "refusal_windows_minute" ON "refusal_windows" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "usage_counters_hour" ON "usage_counters" USING btree ("hour");