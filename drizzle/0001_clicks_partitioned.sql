-- Custom SQL: drizzle-kit cannot express partitioning, so clicks lives here and is hidden from its
-- diff (src/db/schema/clicks.ts is not exported from schema/index.ts). Keep the two in step by hand.
-- Daily partitions on clicked_at: retention is DROP TABLE of a day, and stats scans prune to days.
-- No foreign keys: the table is written by COPY at redirect rate and must not pin links.
CREATE TABLE "clicks" (
	"id" uuid NOT NULL,
	"clicked_at" timestamp with time zone NOT NULL,
	"link_id" uuid NOT NULL,
	"slug" text NOT NULL,
	"program_id" uuid NOT NULL,
	"influencer_id" uuid NOT NULL,
	"campaign_id" uuid,
	"ip_hash" text,
	"user_agent" text,
	"device" text,
	"browser" text,
	"os" text,
	"country" char(2),
	"referrer" text,
	"landing_params" jsonb,
	"is_bot" boolean DEFAULT false NOT NULL,
	"bot_score" smallint,
	"click_id_kid" text,
	-- The partition key has to be part of every unique constraint on a partitioned table.
	CONSTRAINT "clicks_pkey" PRIMARY KEY ("id", "clicked_at"),
	CONSTRAINT "clicks_bot_score_range" CHECK ("bot_score" BETWEEN 0 AND 100)
) PARTITION BY RANGE ("clicked_at");
--> statement-breakpoint
-- Catches clicks for days without a partition (clock skew, a missed maintenance run), so the
-- click buffer never has a row rejected. ensure_click_partitions moves such rows out again.
CREATE TABLE "clicks_default" PARTITION OF "clicks" DEFAULT;
--> statement-breakpoint
CREATE INDEX "clicks_link_clicked_idx" ON "clicks" ("link_id", "clicked_at");
--> statement-breakpoint
CREATE INDEX "clicks_influencer_clicked_idx" ON "clicks" ("influencer_id", "clicked_at");
--> statement-breakpoint
-- Creates clicks_YYYYMMDD for [from_day, from_day + days) in UTC, skipping existing ones; returns
-- how many it created. Safe to call from every host on every start and from a daily job.
-- Partitions are built detached and then attached because CREATE TABLE … PARTITION OF fails when
-- the default partition already holds rows of that day: those rows are moved in first.
CREATE OR REPLACE FUNCTION ensure_click_partitions(from_day date, days int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	d date;
	part text;
	lo timestamptz;
	hi timestamptz;
	created int := 0;
BEGIN
	-- Concurrent callers would both see a partition missing and one would fail on CREATE.
	PERFORM pg_advisory_xact_lock(hashtext('ensure_click_partitions'));
	FOR i IN 0 .. days - 1 LOOP
		d := from_day + i;
		part := 'clicks_' || to_char(d, 'YYYYMMDD');
		CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
		-- Day boundaries in UTC whatever the session TimeZone, so partition names mean the same everywhere.
		lo := d::timestamp AT TIME ZONE 'UTC';
		hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
		-- Blocks inserts that would land in the default partition until the day is attached.
		LOCK TABLE clicks_default IN ACCESS EXCLUSIVE MODE;
		EXECUTE format('CREATE TABLE %I (LIKE clicks INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
		EXECUTE format(
			'WITH moved AS (DELETE FROM clicks_default WHERE clicked_at >= $1 AND clicked_at < $2 RETURNING *) '
			'INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
		EXECUTE format('ALTER TABLE clicks ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
		created := created + 1;
	END LOOP;
	RETURN created;
END
$$;
--> statement-breakpoint
-- Yesterday (late clicks around midnight) through a week ahead; the app's daily job keeps extending it.
SELECT ensure_click_partitions((now() AT TIME ZONE 'UTC')::date - 1, 9);
