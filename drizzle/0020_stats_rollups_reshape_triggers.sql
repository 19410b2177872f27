-- Rebuilds the rollups emptied by drizzle/0018 from click_rollups_hourly, and keeps them from now on.
-- 0015's click rollup with the rollups of drizzle/0019: daily per influencer and per campaign (their scopes read
-- days, not hours), per program without the campaign (fewer rows for the widest scopes), per link dim 'all' only
-- (a link's every dim per day cost ~40 % of the flusher's throughput with 2,000 links, for one scope's reads).
-- Every upsert is in key order; the data-modifying CTEs run in the order written, so concurrent flushers lock
-- tables and rows in the same order.
CREATE OR REPLACE FUNCTION clicks_rollup() RETURNS trigger
LANGUAGE plpgsql
SET enable_nestloop = off
SET work_mem = '32MB'
SET jit = off
SET enable_sort = off
AS $$
BEGIN
	WITH c AS (
		SELECT link_id, influencer_id, program_id, campaign_id, ip_hash,
			date_trunc('hour', clicked_at, 'UTC') AS hour,
			(clicked_at AT TIME ZONE 'UTC')::date AS day,
			coalesce(device, '') AS device, coalesce(browser, '') AS browser, coalesce(os, '') AS os,
			coalesce(country, '') AS country,
			coalesce(lower(substring(referrer FROM '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]+)')), '') AS ref_host,
			human,
			human AND ip_hash IS NOT NULL AND row_number() OVER (
				PARTITION BY (clicked_at AT TIME ZONE 'UTC')::date, link_id, ip_hash
				ORDER BY human DESC, clicked_at, id) = 1 AS first_in_batch
		FROM (SELECT *, (NOT is_bot AND NOT is_head AND NOT is_prefetch AND coalesce(bot_score, 0) < 50) AS human
			FROM added) a
	),
	fresh AS (
		INSERT INTO click_visitors (day, link_id, ip_hash)
		SELECT day, link_id, ip_hash FROM c WHERE first_in_batch
		ORDER BY 1, 2, 3
		ON CONFLICT DO NOTHING
		RETURNING day, link_id, ip_hash
	)
	, agg AS MATERIALIZED (
		SELECT c.hour, c.link_id, d.dim, d.value, min(c.influencer_id::text)::uuid AS influencer_id,
			min(c.program_id::text)::uuid AS program_id, min(c.campaign_id::text)::uuid AS campaign_id,
			count(*) AS clicks, count(*) FILTER (WHERE c.human) AS human_clicks,
			count(*) FILTER (WHERE c.first_in_batch AND (c.day, c.link_id, c.ip_hash) IN (SELECT * FROM fresh))
				AS unique_clicks
		FROM c
		CROSS JOIN LATERAL (VALUES ('all', ''), ('device', c.device), ('browser', c.browser), ('os', c.os),
			('country', c.country), ('referrer', c.ref_host)) AS d(dim, value)
		GROUP BY c.link_id, d.dim, c.hour, d.value
	)
	, link_hourly AS (
		INSERT INTO click_rollups_hourly AS r
			(hour, link_id, dim, value, influencer_id, program_id, campaign_id, clicks, human_clicks, unique_clicks)
		SELECT * FROM agg ORDER BY link_id, dim, hour, value
		ON CONFLICT (link_id, dim, hour, value) DO UPDATE SET
			clicks = r.clicks + excluded.clicks,
			human_clicks = r.human_clicks + excluded.human_clicks,
			unique_clicks = r.unique_clicks + excluded.unique_clicks
	)
	, link_daily AS (
		INSERT INTO click_rollups_link_daily AS r
			(day, link_id, influencer_id, program_id, campaign_id, clicks, human_clicks, unique_clicks)
		SELECT (hour AT TIME ZONE 'UTC')::date, link_id, min(influencer_id::text)::uuid,
			min(program_id::text)::uuid, min(campaign_id::text)::uuid,
			sum(clicks), sum(human_clicks), sum(unique_clicks)
		FROM agg WHERE dim = 'all'
		GROUP BY link_id, (hour AT TIME ZONE 'UTC')::date
		ORDER BY 2, 1
		ON CONFLICT (link_id, day) DO UPDATE SET
			clicks = r.clicks + excluded.clicks,
			human_clicks = r.human_clicks + excluded.human_clicks,
			unique_clicks = r.unique_clicks + excluded.unique_clicks
	)
	, influencer_daily AS (
		INSERT INTO click_rollups_influencer_daily AS r
			(day, influencer_id, dim, value, clicks, human_clicks, unique_clicks)
		SELECT (hour AT TIME ZONE 'UTC')::date, influencer_id, dim, value,
			sum(clicks), sum(human_clicks), sum(unique_clicks)
		FROM agg
		GROUP BY influencer_id, dim, (hour AT TIME ZONE 'UTC')::date, value
		ORDER BY influencer_id, dim, 1, value
		ON CONFLICT (influencer_id, dim, day, value) DO UPDATE SET
			clicks = r.clicks + excluded.clicks,
			human_clicks = r.human_clicks + excluded.human_clicks,
			unique_clicks = r.unique_clicks + excluded.unique_clicks
	)
	, campaign_daily AS (
		INSERT INTO click_rollups_campaign_daily AS r
			(day, campaign_id, program_id, dim, value, clicks, human_clicks, unique_clicks)
		SELECT (hour AT TIME ZONE 'UTC')::date, campaign_id, min(program_id::text)::uuid, dim, value,
			sum(clicks), sum(human_clicks), sum(unique_clicks)
		FROM agg WHERE campaign_id IS NOT NULL
		GROUP BY campaign_id, dim, (hour AT TIME ZONE 'UTC')::date, value
		ORDER BY campaign_id, dim, 1, value
		ON CONFLICT (campaign_id, dim, day, value) DO UPDATE SET
			clicks = r.clicks + excluded.clicks,
			human_clicks = r.human_clicks + excluded.human_clicks,
			unique_clicks = r.unique_clicks + excluded.unique_clicks
	)
	, program_hourly AS (
		INSERT INTO click_rollups_program_hourly AS r
			(hour, program_id, dim, value, clicks, human_clicks, unique_clicks)
		SELECT hour, program_id, dim, value, sum(clicks), sum(human_clicks), sum(unique_clicks)
		FROM agg
		GROUP BY program_id, dim, hour, value
		ORDER BY program_id, dim, hour, value
		ON CONFLICT (program_id, dim, hour, value) DO UPDATE SET
			clicks = r.clicks + excluded.clicks,
			human_clicks = r.human_clicks + excluded.human_clicks,
			unique_clicks = r.unique_clicks + excluded.unique_clicks
	)
	INSERT INTO click_rollups_program_daily AS r
		(day, program_id, dim, value, clicks, human_clicks, unique_clicks)
	SELECT (hour AT TIME ZONE 'UTC')::date, program_id, dim, value,
		sum(clicks), sum(human_clicks), sum(unique_clicks)
	FROM agg
	GROUP BY program_id, dim, (hour AT TIME ZONE 'UTC')::date, value
	ORDER BY program_id, dim, 1, value
	ON CONFLICT (program_id, dim, day, value) DO UPDATE SET
		clicks = r.clicks + excluded.clicks,
		human_clicks = r.human_clicks + excluded.human_clicks,
		unique_clicks = r.unique_clicks + excluded.unique_clicks;
	RETURN NULL;
END
$$;
--> statement-breakpoint
INSERT INTO click_rollups_link_daily (day, link_id, influencer_id, program_id, campaign_id, clicks, human_clicks,
	unique_clicks)
SELECT (hour AT TIME ZONE 'UTC')::date, link_id, min(influencer_id::text)::uuid, min(program_id::text)::uuid,
	min(campaign_id::text)::uuid, sum(clicks), sum(human_clicks), sum(unique_clicks)
FROM click_rollups_hourly WHERE dim = 'all'
GROUP BY link_id, (hour AT TIME ZONE 'UTC')::date;
--> statement-breakpoint
INSERT INTO click_rollups_influencer_daily (day, influencer_id, dim, value, clicks, human_clicks, unique_clicks)
SELECT (hour AT TIME ZONE 'UTC')::date, influencer_id, dim, value, sum(clicks), sum(human_clicks),
	sum(unique_clicks)
FROM click_rollups_hourly
GROUP BY influencer_id, dim, (hour AT TIME ZONE 'UTC')::date, value;
--> statement-breakpoint
INSERT INTO click_rollups_campaign_daily (day, campaign_id, program_id, dim, value, clicks, human_clicks,
	unique_clicks)
SELECT (hour AT TIME ZONE 'UTC')::date, campaign_id, min(program_id::text)::uuid, dim, value, sum(clicks),
	sum(human_clicks), sum(unique_clicks)
FROM click_rollups_hourly WHERE campaign_id IS NOT NULL
GROUP BY campaign_id, dim, (hour AT TIME ZONE 'UTC')::date, value;
--> statement-breakpoint
INSERT INTO click_rollups_program_hourly (hour, program_id, dim, value, clicks, human_clicks, unique_clicks)
SELECT hour, program_id, dim, value, sum(clicks), sum(human_clicks), sum(unique_clicks)
FROM click_rollups_hourly
GROUP BY program_id, dim, hour, value;
--> statement-breakpoint
INSERT INTO click_rollups_program_daily (day, program_id, dim, value, clicks, human_clicks, unique_clicks)
SELECT (hour AT TIME ZONE 'UTC')::date, program_id, dim, value, sum(clicks), sum(human_clicks), sum(unique_clicks)
FROM click_rollups_hourly
GROUP BY program_id, dim, (hour AT TIME ZONE 'UTC')::date, value;
