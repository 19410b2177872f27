-- The audit trail is evidence: rows are only ever added. The one UPDATE allowed is the foreign keys' own
-- ON DELETE SET NULL (a deleted user, key or organisation leaves its entries behind, unattributed).
-- TRUNCATE is deliberately not blocked: tests reset tables with it.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE'
		AND (NEW.actor_user_id IS NULL OR NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id)
		AND (NEW.actor_api_key_id IS NULL OR NEW.actor_api_key_id IS NOT DISTINCT FROM OLD.actor_api_key_id)
		AND (NEW.org_id IS NULL OR NEW.org_id IS NOT DISTINCT FROM OLD.org_id)
		AND (NEW.id, NEW.occurred_at, NEW.action, NEW.target_type, NEW.target_id, NEW.ip_hash, NEW.ip)
			IS NOT DISTINCT FROM (OLD.id, OLD.occurred_at, OLD.action, OLD.target_type, OLD.target_id, OLD.ip_hash, OLD.ip)
		AND NEW.before::text IS NOT DISTINCT FROM OLD.before::text
		AND NEW.after::text IS NOT DISTINCT FROM OLD.after::text
		AND NEW.details::text IS NOT DISTINCT FROM OLD.details::text
	THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
		USING ERRCODE = 'integrity_constraint_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_log_append_only"
	BEFORE UPDATE OR DELETE ON "audit_log"
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
--> statement-breakpoint
-- Every host caches which principal an API key is for a few seconds; a revoked or expired key, or a disabled
-- user, must be refused at once everywhere: hosts LISTEN api_key_changed and drop the key ('*': drop all).
CREATE OR REPLACE FUNCTION notify_api_key_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'api_keys' THEN
		PERFORM pg_notify('api_key_changed', OLD.key_hash);
	ELSE
		PERFORM pg_notify('api_key_changed', '*');
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "api_keys_notify_changed"
	AFTER UPDATE OF revoked_at, expires_at, scopes OR DELETE ON "api_keys"
	FOR EACH ROW EXECUTE FUNCTION notify_api_key_changed();
--> statement-breakpoint
CREATE TRIGGER "users_notify_key_changed"
	AFTER UPDATE OF disabled_at, role, merchant_id, influencer_id OR DELETE ON "users"
	FOR EACH ROW EXECUTE FUNCTION notify_api_key_changed();
