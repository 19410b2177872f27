-- Keeps the stats rollups of drizzle/0014 equal to what is stored, in the writing transaction, and fills them from
-- what is already there. Writers wait while this runs (the SHARE locks below), so no click, commission or reversal
-- lands between the backfill's snapshot and the new triggers.
LOCK TABLE clicks, click_rollups_hourly, commissions, reversals IN SHARE MODE;
--> statement-breakpoint
-- Minor units per major unit of an ISO 4217 currency; the same table as shared/money.ts currencyExponent.
CREATE FUNCTION stats_minor_factor(currency text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT CASE
		WHEN upper(currency) IN ('BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI',
			'VND', 'VUV', 'XAF', 'XOF', 'XPF') THEN 1
		WHEN upper(currency) IN ('BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND') THEN 1000
		ELSE 100
	END
$$;
--> statement-breakpoint
-- n / d rounded half-to-even to an integer, exactly (div and the remainder are exact in numeric); d > 0.
-- shared/money.ts divRoundHalfEven in SQL.
CREATE FUNCTION stats_div_half_even(n numeric, d numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
	SELECT (sign(n) * (q + CASE WHEN 2 * r > d OR (2 * r = d AND mod(q, 2) = 1) THEN 1 ELSE 0 END))::bigint
	FROM (SELECT div(abs(n), d) AS q, abs(n) - div(abs(n), d) * d AS r) x
$$;
--> statement-breakpoint
-- 0013's click rollup, plus the program (hourly, daily) and link-daily rollups aggregated from the same batch.
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
	, program_hourly AS (
		INSERT INTO click_rollups_program_hourly AS r
			(hour, program_id, campaign_id, dim, value, clicks, human_clicks, unique_clicks)
		SELECT hour, program_id, campaign_id, dim, value, sum(clicks), sum(human_clicks), sum(unique_clicks)
		FROM agg
		GROUP BY program_id, dim, hour, campaign_id, value
		ORDER BY program_id, dim, hour, campaign_id, value
		ON CONFLICT (program_id, dim, hour, campaign_id, value) DO UPDATE SET
			clicks = r.clicks + excluded.clicks,
			human_clicks = r.human_clicks + excluded.human_clicks,
			unique_clicks = r.unique_clicks + excluded.unique_clicks
	)
	INSERT INTO click_rollups_program_daily AS r
		(day, program_id, campaign_id, dim, value, clicks, human_clicks, unique_clicks)
	SELECT (hour AT TIME ZONE 'UTC')::date, program_id, campaign_id, dim, value,
		sum(clicks), sum(human_clicks), sum(unique_clicks)
	FROM agg
	GROUP BY program_id, dim, (hour AT TIME ZONE 'UTC')::date, campaign_id, value
	ORDER BY program_id, dim, 1, campaign_id, value
	ON CONFLICT (program_id, dim, day, campaign_id, value) DO UPDATE SET
		clicks = r.clicks + excluded.clicks,
		human_clicks = r.human_clicks + excluded.human_clicks,
		unique_clicks = r.unique_clicks + excluded.unique_clicks;
	RETURN NULL;
END
$$;
--> statement-breakpoint
-- Adds the contribution of `news` and takes away that of `olds` (commission rows as they are after and were before
-- a statement): each commission counts once, in the bucket of its status, with what reversals took back of it so
-- far. Buckets whose deltas all cancel (an update that moved nothing: payout_id, updated_at) are not touched.
-- Revenue = the conversion's total × the attribution's weight, rounded once half-to-even to minor units; only
-- sales, leads and renewals have revenue and count as conversions (a bounty or click accrual is neither).
CREATE FUNCTION sales_rollup_apply(olds commissions[], news commissions[]) RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO sales_rollups_hourly AS s (hour, influencer_id, program_id, link_id, campaign_id, currency, status,
		event_kind, commissions, conversions, revenue_minor, gross_minor, fee_minor, net_minor, reversed_gross_minor,
		reversed_fee_minor, reversed_net_minor)
	SELECT date_trunc('hour', v.occurred_at, 'UTC') AS hour, d.influencer_id, d.program_id, a.link_id,
		-- Not part of the key: a link's campaign may change, its bucket may not.
		min(l.campaign_id::text)::uuid, d.currency, d.status, d.event_kind,
		sum(d.sign),
		coalesce(sum(d.sign) FILTER (WHERE d.event_kind IN ('sale', 'lead', 'subscription_renewal')), 0),
		coalesce(sum(d.sign * stats_div_half_even(v.total * stats_minor_factor(v.currency) * a.weight_num,
			a.weight_den)) FILTER (WHERE d.event_kind IN ('sale', 'lead', 'subscription_renewal')), 0),
		sum(d.sign * d.gross_minor), sum(d.sign * d.fee_minor), sum(d.sign * d.net_minor),
		sum(d.sign * r.gross), sum(d.sign * r.fee), sum(d.sign * r.net)
	FROM (
		SELECT o.*, -1 AS sign FROM unnest(olds) o
		UNION ALL
		SELECT n.*, 1 AS sign FROM unnest(news) n
	) d
	JOIN conversions v ON v.id = d.conversion_id
	JOIN attributions a ON a.id = d.attribution_id
	LEFT JOIN tracking_links l ON l.id = a.link_id
	CROSS JOIN LATERAL (
		SELECT coalesce(sum(x.gross_minor), 0) AS gross, coalesce(sum(x.fee_minor), 0) AS fee,
			coalesce(sum(x.net_minor), 0) AS net
		FROM reversals x WHERE x.commission_id = d.id
	) r
	GROUP BY d.influencer_id, 1, d.program_id, a.link_id, d.currency, d.status, d.event_kind
	HAVING sum(d.sign) <> 0 OR sum(d.sign * d.gross_minor) <> 0 OR sum(d.sign * d.fee_minor) <> 0
		OR sum(d.sign * r.gross) <> 0 OR sum(d.sign * r.fee) <> 0
		OR sum(d.sign * stats_div_half_even(v.total * stats_minor_factor(v.currency) * a.weight_num, a.weight_den)) <> 0
	ORDER BY d.influencer_id, 1, d.program_id, a.link_id, d.currency, d.status, d.event_kind
	ON CONFLICT (influencer_id, hour, program_id, link_id, currency, status, event_kind) DO UPDATE SET
		commissions = s.commissions + excluded.commissions,
		conversions = s.conversions + excluded.conversions,
		revenue_minor = s.revenue_minor + excluded.revenue_minor,
		gross_minor = s.gross_minor + excluded.gross_minor,
		fee_minor = s.fee_minor + excluded.fee_minor,
		net_minor = s.net_minor + excluded.net_minor,
		reversed_gross_minor = s.reversed_gross_minor + excluded.reversed_gross_minor,
		reversed_fee_minor = s.reversed_fee_minor + excluded.reversed_fee_minor,
		reversed_net_minor = s.reversed_net_minor + excluded.reversed_net_minor
$$;
--> statement-breakpoint
-- Reversals added (news) or removed (olds) move reversed amounts in the bucket their commission is in now. When a
-- reversal ends its commission `reversed`, the commission's own update then moves the whole row, reversals
-- included, to that bucket.
CREATE FUNCTION sales_rollup_reversals(olds reversals[], news reversals[]) RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO sales_rollups_hourly AS s (hour, influencer_id, program_id, link_id, campaign_id, currency, status,
		event_kind, commissions, conversions, revenue_minor, gross_minor, fee_minor, net_minor, reversed_gross_minor,
		reversed_fee_minor, reversed_net_minor)
	SELECT date_trunc('hour', v.occurred_at, 'UTC') AS hour, c.influencer_id, c.program_id, a.link_id,
		min(l.campaign_id::text)::uuid, c.currency, c.status, c.event_kind, 0, 0, 0, 0, 0, 0,
		sum(d.sign * d.gross_minor), sum(d.sign * d.fee_minor), sum(d.sign * d.net_minor)
	FROM (
		SELECT o.commission_id, o.gross_minor, o.fee_minor, o.net_minor, -1 AS sign FROM unnest(olds) o
		UNION ALL
		SELECT n.commission_id, n.gross_minor, n.fee_minor, n.net_minor, 1 AS sign FROM unnest(news) n
	) d
	JOIN commissions c ON c.id = d.commission_id
	JOIN conversions v ON v.id = c.conversion_id
	JOIN attributions a ON a.id = c.attribution_id
	LEFT JOIN tracking_links l ON l.id = a.link_id
	GROUP BY c.influencer_id, 1, c.program_id, a.link_id, c.currency, c.status, c.event_kind
	HAVING sum(d.sign * d.gross_minor) <> 0 OR sum(d.sign * d.fee_minor) <> 0
	ORDER BY c.influencer_id, 1, c.program_id, a.link_id, c.currency, c.status, c.event_kind
	ON CONFLICT (influencer_id, hour, program_id, link_id, currency, status, event_kind) DO UPDATE SET
		reversed_gross_minor = s.reversed_gross_minor + excluded.reversed_gross_minor,
		reversed_fee_minor = s.reversed_fee_minor + excluded.reversed_fee_minor,
		reversed_net_minor = s.reversed_net_minor + excluded.reversed_net_minor
$$;
--> statement-breakpoint
-- Statement triggers, so a statement's rows are folded into one upsert in key order (approving a day's
-- commissions is one statement). A trigger with transition tables takes one event, hence three of each.
CREATE FUNCTION commissions_sales_rollup() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM sales_rollup_apply('{}'::commissions[], ARRAY(SELECT n::commissions FROM new_rows n));
	ELSIF TG_OP = 'UPDATE' THEN
		PERFORM sales_rollup_apply(ARRAY(SELECT o::commissions FROM old_rows o),
			ARRAY(SELECT n::commissions FROM new_rows n));
	ELSE
		PERFORM sales_rollup_apply(ARRAY(SELECT o::commissions FROM old_rows o), '{}'::commissions[]);
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER commissions_sales_rollup_ins AFTER INSERT ON commissions
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_sales_rollup();
--> statement-breakpoint
CREATE TRIGGER commissions_sales_rollup_upd AFTER UPDATE ON commissions
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_sales_rollup();
--> statement-breakpoint
CREATE TRIGGER commissions_sales_rollup_del AFTER DELETE ON commissions
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION commissions_sales_rollup();
--> statement-breakpoint
CREATE FUNCTION reversals_sales_rollup() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM sales_rollup_reversals('{}'::reversals[], ARRAY(SELECT n::reversals FROM new_rows n));
	ELSE
		PERFORM sales_rollup_reversals(ARRAY(SELECT o::reversals FROM old_rows o), '{}'::reversals[]);
	END IF;
	RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER reversals_sales_rollup_ins AFTER INSERT ON reversals
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reversals_sales_rollup();
--> statement-breakpoint
CREATE TRIGGER reversals_sales_rollup_del AFTER DELETE ON reversals
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reversals_sales_rollup();
--> statement-breakpoint
-- Backfill: the coarser click rollups from the link-hourly ones, the sales rollups 10,000 commissions at a time.
INSERT INTO click_rollups_link_daily (day, link_id, influencer_id, program_id, campaign_id, clicks, human_clicks,
	unique_clicks)
SELECT (hour AT TIME ZONE 'UTC')::date, link_id, min(influencer_id::text)::uuid, min(program_id::text)::uuid,
	min(campaign_id::text)::uuid, sum(clicks), sum(human_clicks), sum(unique_clicks)
FROM click_rollups_hourly WHERE dim = 'all'
GROUP BY link_id, (hour AT TIME ZONE 'UTC')::date;
--> statement-breakpoint
INSERT INTO click_rollups_program_hourly (hour, program_id, campaign_id, dim, value, clicks, human_clicks,
	unique_clicks)
SELECT hour, program_id, campaign_id, dim, value, sum(clicks), sum(human_clicks), sum(unique_clicks)
FROM click_rollups_hourly
GROUP BY program_id, dim, hour, campaign_id, value;
--> statement-breakpoint
INSERT INTO click_rollups_program_daily (day, program_id, campaign_id, dim, value, clicks, human_clicks,
	unique_clicks)
SELECT (hour AT TIME ZONE 'UTC')::date, program_id, campaign_id, dim, value, sum(clicks), sum(human_clicks),
	sum(unique_clicks)
FROM click_rollups_hourly
GROUP BY program_id, dim, (hour AT TIME ZONE 'UTC')::date, campaign_id, value;
--> statement-breakpoint
DO $$
DECLARE
	chunk commissions[];
BEGIN
	FOR chunk IN
		SELECT array_agg(c) FROM (SELECT c, (row_number() OVER (ORDER BY c.id) - 1) / 10000 AS g FROM commissions c) x
		GROUP BY g ORDER BY g
	LOOP
		PERFORM sales_rollup_apply('{}'::commissions[], chunk);
	END LOOP;
END
$$;
