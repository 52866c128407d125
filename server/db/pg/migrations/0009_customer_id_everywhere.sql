-- The customer id on every table that holds customer data, as in the SQLite migration 0019: backfilled from
-- the row each hangs off; rows whose parent is gone are deleted (they could never be used).
ALTER TABLE "token_families" ADD COLUMN "customer_id" text;--> statement-breakpoint
UPDATE "token_families" f SET "customer_id" = g."customer_id" FROM "grants" g WHERE g."id" = f."grant_id";--> statement-breakpoint
DELETE FROM "token_families" WHERE "customer_id" IS NULL;--> statement-breakpoint
ALTER TABLE "token_families" ALTER COLUMN "customer_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ADD COLUMN "customer_id" text;--> statement-breakpoint
UPDATE "refresh_tokens" r SET "customer_id" = f."customer_id" FROM "token_families" f WHERE f."id" = r."family_id";--> statement-breakpoint
DELETE FROM "refresh_tokens" WHERE "customer_id" IS NULL;--> statement-breakpoint
ALTER TABLE "refresh_tokens" ALTER COLUMN "customer_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "auth_codes" ADD COLUMN "customer_id" text;--> statement-breakpoint
UPDATE "auth_codes" c SET "customer_id" = g."customer_id" FROM "grants" g WHERE g."id" = c."grant_id";--> statement-breakpoint
DELETE FROM "auth_codes" WHERE "customer_id" IS NULL;--> statement-breakpoint
ALTER TABLE "auth_codes" ALTER COLUMN "customer_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_counters" ADD COLUMN "customer_id" text;--> statement-breakpoint
UPDATE "usage_counters" u SET "customer_id" = g."customer_id" FROM "grants" g WHERE g."id" = u."grant_id";--> statement-breakpoint
DELETE FROM "usage_counters" WHERE "customer_id" IS NULL;--> statement-breakpoint
ALTER TABLE "usage_counters" ALTER COLUMN "customer_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_counters" DROP CONSTRAINT "usage_counters_grant_id_action_hour_pk";--> statement-breakpoint
ALTER TABLE "usage_counters" ADD CONSTRAINT "usage_counters_customer_id_grant_id_action_hour_pk" PRIMARY KEY("customer_id","grant_id","action","hour");--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "customer_id" text;--> statement-breakpoint
UPDATE "sessions" SET "customer_id" = "subject_id" WHERE "subject_kind" = 'customer';
