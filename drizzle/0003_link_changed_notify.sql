-- Every host keeps hot links in memory; these triggers tell them what changed (LISTEN link_changed).
-- A link row change names its slug (old and new when renamed); an insert matters too, because hosts also
-- remember unknown slugs. Changes to programs, networks, influencers or campaigns alter how many links
-- redirect (destination parameters, cookie window, /c/ routes), so they ask for a full clear ('*').
-- NOTIFY is transactional: hosts hear of a change only once it has committed.
CREATE OR REPLACE FUNCTION notify_link_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM pg_notify('link_changed', OLD.slug);
	ELSE
		PERFORM pg_notify('link_changed', NEW.slug);
		IF TG_OP = 'UPDATE' AND NEW.slug IS DISTINCT FROM OLD.slug THEN
			PERFORM pg_notify('link_changed', OLD.slug);
		END IF;
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER tracking_links_notify AFTER INSERT OR UPDATE OR DELETE ON tracking_links
	FOR EACH ROW EXECUTE FUNCTION notify_link_changed();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION notify_links_changed_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('link_changed', '*');
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER programs_notify_links AFTER UPDATE OR DELETE ON programs
	FOR EACH STATEMENT EXECUTE FUNCTION notify_links_changed_all();
--> statement-breakpoint
CREATE TRIGGER networks_notify_links AFTER UPDATE OR DELETE ON networks
	FOR EACH STATEMENT EXECUTE FUNCTION notify_links_changed_all();
--> statement-breakpoint
CREATE TRIGGER influencers_notify_links AFTER UPDATE OR DELETE ON influencers
	FOR EACH STATEMENT EXECUTE FUNCTION notify_links_changed_all();
--> statement-breakpoint
CREATE TRIGGER campaigns_notify_links AFTER UPDATE OR DELETE ON campaigns
	FOR EACH STATEMENT EXECUTE FUNCTION notify_links_changed_all();
--> statement-breakpoint
-- Recorded, not filtered: HEAD probes and browser prefetches are not shoppers, and stats/billing exclude them.
ALTER TABLE clicks ADD COLUMN is_head boolean NOT NULL DEFAULT false;
--> statement-breakpoint
ALTER TABLE clicks ADD COLUMN is_prefetch boolean NOT NULL DEFAULT false;
