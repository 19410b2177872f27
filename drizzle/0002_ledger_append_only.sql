-- The ledger is the financial record: rows are only ever added, corrections are new `adjustment`
-- entries. Enforced here so no code path (or psql session) can rewrite history by accident.
-- TRUNCATE is deliberately not blocked: tests reset tables with it.
CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ledger_entries is append-only: % refused, post an adjustment entry instead', TG_OP
		USING ERRCODE = 'integrity_constraint_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "ledger_entries_append_only"
	BEFORE UPDATE OR DELETE ON "ledger_entries"
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();
