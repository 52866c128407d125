-- Deletion requests and grant reminders (as SQLite migration 0017).
CREATE TABLE "deletion_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"company_id" text NOT NULL,
	"grant_id" text NOT NULL,
	"cause" text NOT NULL,
	"fields" text NOT NULL,
	"records" text NOT NULL,
	"status" text NOT NULL,
	"requested_at" text NOT NULL,
	"due_at" text NOT NULL,
	"overdue_at" text,
	"confirmed_at" text,
	"kept_fields" text,
	"kept_until" text,
	"receipt_id" text,
	CONSTRAINT "deletion_requests_grant_id_unique" UNIQUE("grant_id")
);
--> statement-breakpoint
CREATE INDEX "deletion_requests_company" ON "deletion_requests" USING btree ("company_id","status");--> statement-breakpoint
CREATE INDEX "deletion_requests_customer" ON "deletion_requests" USING btree ("customer_id","requested_at");--> statement-breakpoint
CREATE INDEX "deletion_requests_due" ON "deletion_requests" USING btree ("status","due_at");--> statement-breakpoint
CREATE TABLE "grant_notices" (
	"grant_id" text NOT NULL,
	"kind" text NOT NULL,
	"customer_id" text NOT NULL,
	"sent_at" text NOT NULL,
	CONSTRAINT "grant_notices_grant_id_kind_pk" PRIMARY KEY("grant_id","kind")
);
