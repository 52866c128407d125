-- As the SQLite migration 0021: the reminder and expiry sweeps search live grants by their end.
CREATE INDEX "grants_status_expires" ON "grants" USING btree ("status","expires_at");
