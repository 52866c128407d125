-- Claims (answers instead of data): the claims a grant answers, as JSON; null for a grant that answers none.
ALTER TABLE "grants" ADD COLUMN "claims" text;
