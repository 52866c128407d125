-- As the SQLite migration 0024: each audit event names its chain; existing rows belong to the default chain 'main'.
ALTER TABLE "audit_events" ADD COLUMN "chain" text DEFAULT 'main' NOT NULL;
--> statement-breakpoint
CREATE INDEX "audit_chain" ON "audit_events" USING btree ("chain","seq");
