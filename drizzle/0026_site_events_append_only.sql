-- What a browser sent is evidence for billing: rows are only ever added. TRUNCATE stays allowed (tests).
CREATE OR REPLACE FUNCTION site_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'site_events is append-only: % refused', TG_OP
		USING ERRCODE = 'integrity_constraint_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "site_events_append_only"
	BEFORE UPDATE OR DELETE ON "site_events"
	FOR EACH STATEMENT EXECUTE FUNCTION site_events_append_only();
