CREATE TABLE "audit_checkpoints" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"hash" text NOT NULL,
	"time" text NOT NULL,
	"jws" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"time" text NOT NULL,
	"action" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"customer_id" text,
	"company_id" text,
	"grant_id" text,
	"decision" text,
	"body" text NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "auditors" (
	"id" text PRIMARY KEY NOT NULL,
	"login_index" text NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" text NOT NULL,
	CONSTRAINT "auditors_login_index_unique" UNIQUE("login_index")
);
--> statement-breakpoint
CREATE TABLE "auth_codes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"request_id" text NOT NULL,
	"grant_id" text NOT NULL,
	"company_id" text NOT NULL,
	"redirect_uri" text NOT NULL,
	"code_challenge" text NOT NULL,
	"dpop_jkt" text,
	"family_id" text NOT NULL,
	"expires_at" text NOT NULL,
	"used_at" text
);
--> statement-breakpoint
CREATE TABLE "auth_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"company_id" text NOT NULL,
	"mode" text NOT NULL,
	"redirect_uri" text,
	"redirect_uri_given" boolean,
	"state" text,
	"code_challenge" text,
	"details" text NOT NULL,
	"customer_id" text,
	"status" text NOT NULL,
	"grant_id" text,
	"decision" text,
	"created_at" text NOT NULL,
	"expires_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "companies" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"status" text NOT NULL,
	"auth_method" text NOT NULL,
	"secret_hash" text,
	"jwks" text,
	"redirect_uris" text NOT NULL,
	"dpop_bound" boolean NOT NULL,
	"terms_version" integer NOT NULL,
	"registration_token_hash" text NOT NULL,
	"created_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "company_names" (
	"company_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"valid_from" text NOT NULL,
	CONSTRAINT "company_names_company_id_version_pk" PRIMARY KEY("company_id","version")
);
--> statement-breakpoint
CREATE TABLE "company_terms" (
	"company_id" text NOT NULL,
	"version" integer NOT NULL,
	"terms" text NOT NULL,
	"created_at" text NOT NULL,
	CONSTRAINT "company_terms_company_id_version_pk" PRIMARY KEY("company_id","version")
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"handle" text NOT NULL,
	"login_index" text NOT NULL,
	"password_hash" text NOT NULL,
	"kek_id" text NOT NULL,
	"wrapped_dek" "bytea" NOT NULL,
	"criteria" text DEFAULT '{}' NOT NULL,
	"created_at" text NOT NULL,
	CONSTRAINT "customers_handle_unique" UNIQUE("handle"),
	CONSTRAINT "customers_login_index_unique" UNIQUE("login_index")
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"company_id" text NOT NULL,
	"purpose" text NOT NULL,
	"fields" text NOT NULL,
	"actions" text NOT NULL,
	"terms_version" integer NOT NULL,
	"policy_version" text NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"auto_approved" boolean DEFAULT false NOT NULL,
	"created_at" text NOT NULL,
	"expires_at" text NOT NULL,
	"updated_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inbox" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"kind" text NOT NULL,
	"body" text NOT NULL,
	"created_at" text NOT NULL,
	"read_at" text
);
--> statement-breakpoint
CREATE TABLE "initial_access_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"created_at" text NOT NULL,
	"expires_at" text NOT NULL,
	"used_at" text
);
--> statement-breakpoint
CREATE TABLE "profile_fields" (
	"customer_id" text NOT NULL,
	"field" text NOT NULL,
	"version" integer NOT NULL,
	"sealed" "bytea" NOT NULL,
	"updated_at" text NOT NULL,
	CONSTRAINT "profile_fields_customer_id_field_pk" PRIMARY KEY("customer_id","field")
);
--> statement-breakpoint
CREATE TABLE "rate_windows" (
	"key" text NOT NULL,
	"window_end" bigint NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "rate_windows_key_window_end_pk" PRIMARY KEY("key","window_end")
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"company_id" text NOT NULL,
	"grant_id" text NOT NULL,
	"kind" text NOT NULL,
	"jws" text NOT NULL,
	"created_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "records" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"company_id" text NOT NULL,
	"grant_id" text NOT NULL,
	"category" text NOT NULL,
	"sealed" "bytea" NOT NULL,
	"created_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refresh_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"family_id" text NOT NULL,
	"created_at" text NOT NULL,
	"expires_at" text NOT NULL,
	"used_at" text
);
--> statement-breakpoint
CREATE TABLE "refusal_windows" (
	"company_id" text NOT NULL,
	"minute" integer NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "refusal_windows_company_id_minute_pk" PRIMARY KEY("company_id","minute")
);
--> statement-breakpoint
CREATE TABLE "revoked_access_tokens" (
	"jti" text PRIMARY KEY NOT NULL,
	"expires_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seen_jtis" (
	"jti" text PRIMARY KEY NOT NULL,
	"expires_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"csrf_hash" text NOT NULL,
	"created_at" text NOT NULL,
	"expires_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "token_families" (
	"id" text PRIMARY KEY NOT NULL,
	"grant_id" text NOT NULL,
	"company_id" text NOT NULL,
	"dpop_jkt" text,
	"created_at" text NOT NULL,
	"revoked_at" text,
	"revoked_reason" text
);
--> statement-breakpoint
CREATE TABLE "usage_counters" (
	"grant_id" text NOT NULL,
	"action" text NOT NULL,
	"hour" integer NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "usage_counters_grant_id_action_hour_pk" PRIMARY KEY("grant_id","action","hour")
);
--> statement-breakpoint
CREATE INDEX "audit_time" ON "audit_events" USING btree ("time");--> statement-breakpoint
CREATE INDEX "audit_customer" ON "audit_events" USING btree ("customer_id","seq");--> statement-breakpoint
CREATE INDEX "audit_company" ON "audit_events" USING btree ("company_id","seq");--> statement-breakpoint
CREATE INDEX "audit_customer_action" ON "audit_events" USING btree ("customer_id","action","seq");--> statement-breakpoint
CREATE INDEX "auth_requests_customer" ON "auth_requests" USING btree ("customer_id","status");--> statement-breakpoint
CREATE INDEX "auth_requests_expires" ON "auth_requests" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "auth_requests_company" ON "auth_requests" USING btree ("company_id","customer_id","status");--> statement-breakpoint
CREATE INDEX "grants_customer" ON "grants" USING btree ("customer_id","status");--> statement-breakpoint
CREATE INDEX "grants_company" ON "grants" USING btree ("company_id","status");--> statement-breakpoint
CREATE INDEX "inbox_customer" ON "inbox" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "inbox_kind_created" ON "inbox" USING btree ("kind","created_at");--> statement-breakpoint
CREATE INDEX "rate_windows_end" ON "rate_windows" USING btree ("window_end");--> statement-breakpoint
CREATE INDEX "receipts_customer" ON "receipts" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "receipts_grant" ON "receipts" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "records_customer" ON "records" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "refresh_tokens_family" ON "refresh_tokens" USING btree ("family_id");--> statement-breakpoint
CREATE INDEX "refresh_tokens_expires" ON "refresh_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "refresh_tokens_used" ON "refresh_tokens" USING btree ("used_at");--> statement-breakpoint
CREATE INDEX "sessions_subject" ON "sessions" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "sessions_expires" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "token_families_grant" ON "token_families" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "token_families_revoked" ON "token_families" USING btree ("revoked_at");