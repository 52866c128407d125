-- The audit trail is append-only (ARCHITECTURE.md, "The audit trail"): the database itself refuses to change or
-- remove an event, whoever asks. Row triggers refuse UPDATE and DELETE; a statement trigger refuses TRUNCATE,
-- which row triggers do not see. Operators also connect as a role without UPDATE/DELETE/TRUNCATE on the table
-- (README "Storage"); the triggers hold even for the table's owner.
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
