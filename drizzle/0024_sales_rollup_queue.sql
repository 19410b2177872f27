-- Custom SQL: commission and reversal writes stop upserting sales_rollups_hourly in their own transaction. Every
-- settled sale of an influencer's link in one hour upserted the same row, so concurrent webhook deliveries queued
-- on its lock until each commit (pg_stat_activity: Lock/transactionid on the commissions insert), and the
-- statement trigger re-planned 0015's array-taking LANGUAGE sql function on every call (~2.4 ms of a 2.5 ms
-- commission insert). Now each write appends its delta to sales_rollup_queue (no index, no conflicts) and
-- sales_rollups_fold() adds the queue into the same rollup in one transaction: the click flushers call it about
-- once a second, and every stats read calls it first (src/db/click-rollups.ts), as for clicks (0022). Exact as
-- before: a delta leaves the queue in the transaction that counts it, and a rolled-back write takes its delta
-- with it. Inserts get a row trigger with indexed lookups (cached plans); for one new row it queues what
-- sales_rollup_apply('{}', ARRAY[row]) would. Updates and deletes keep the statement trigger (bulk approvals).
CREATE TABLE sales_rollup_queue (LIKE sales_rollups_hourly);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sales_rollup_apply(olds commissions[], news commissions[]) RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO sales_rollup_queue (hour, influencer_id, program_id, link_id, campaign_id, currency, status,
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
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sales_rollup_reversals(olds reversals[], news reversals[]) RETURNS void
LANGUAGE sql
AS $$
	INSERT INTO sales_rollup_queue (hour, influencer_id, program_id, link_id, campaign_id, currency, status,
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
$$;
--> statement-breakpoint
CREATE FUNCTION commissions_sales_rollup_row() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
	v record;
	a record;
	campaign uuid;
	rev record;
	counts boolean := NEW.event_kind IN ('sale', 'lead', 'subscription_renewal');
BEGIN
	SELECT occurred_at, total, currency INTO v FROM conversions WHERE id = NEW.conversion_id;
	SELECT link_id, weight_num, weight_den INTO a FROM attributions WHERE id = NEW.attribution_id;
	IF NOT FOUND OR v.occurred_at IS NULL THEN
		RETURN NULL; -- sales_rollup_apply's inner joins drop such a row too (the foreign keys forbid it)
	END IF;
	SELECT campaign_id INTO campaign FROM tracking_links WHERE id = a.link_id;
	SELECT coalesce(sum(gross_minor), 0) AS gross, coalesce(sum(fee_minor), 0) AS fee,
		coalesce(sum(net_minor), 0) AS net INTO rev
	FROM reversals WHERE commission_id = NEW.id;
	INSERT INTO sales_rollup_queue (hour, influencer_id, program_id, link_id, campaign_id, currency, status, event_kind, commissions, conversions, revenue_minor, gross_minor, fee_minor, net_minor, reversed_gross_minor, reversed_fee_minor, reversed_net_minor)
	VALUES (date_trunc('hour', v.occurred_at, 'UTC'), NEW.influencer_id, NEW.program_id, a.link_id, campaign,
		NEW.currency, NEW.status, NEW.event_kind, 1, CASE WHEN counts THEN 1 ELSE 0 END,
		CASE WHEN counts THEN stats_div_half_even(v.total * stats_minor_factor(v.currency) * a.weight_num,
			a.weight_den) ELSE 0 END,
		NEW.gross_minor, NEW.fee_minor, NEW.net_minor, rev.gross, rev.fee, rev.net);
	RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER commissions_sales_rollup_ins ON commissions;
--> statement-breakpoint
CREATE TRIGGER commissions_sales_rollup_ins AFTER INSERT ON commissions
	FOR EACH ROW EXECUTE FUNCTION commissions_sales_rollup_row();
--> statement-breakpoint
-- wait = false returns false at once while another session folds (it takes these rows, or its next run does).
-- One folder at a time, upserting in key order, so folds never deadlock between hosts.
CREATE FUNCTION sales_rollups_fold(wait boolean DEFAULT true) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
	IF wait THEN
		PERFORM pg_advisory_xact_lock(hashtext('sales_rollups_fold'));
	ELSIF NOT pg_try_advisory_xact_lock(hashtext('sales_rollups_fold')) THEN
		RETURN false;
	END IF;
	WITH q AS (DELETE FROM sales_rollup_queue RETURNING *)
	INSERT INTO sales_rollups_hourly AS s (hour, influencer_id, program_id, link_id, campaign_id, currency, status, event_kind, commissions, conversions, revenue_minor, gross_minor, fee_minor, net_minor, reversed_gross_minor, reversed_fee_minor, reversed_net_minor)
	SELECT hour, influencer_id, program_id, link_id, min(campaign_id::text)::uuid, currency, status, event_kind,
		sum(commissions), sum(conversions), sum(revenue_minor), sum(gross_minor), sum(fee_minor), sum(net_minor),
		sum(reversed_gross_minor), sum(reversed_fee_minor), sum(reversed_net_minor)
	FROM q
	GROUP BY influencer_id, hour, program_id, link_id, currency, status, event_kind
	ORDER BY influencer_id, hour, program_id, link_id, currency, status, event_kind
	ON CONFLICT (influencer_id, hour, program_id, link_id, currency, status, event_kind) DO UPDATE SET
		commissions = s.commissions + excluded.commissions,
		conversions = s.conversions + excluded.conversions,
		revenue_minor = s.revenue_minor + excluded.revenue_minor,
		gross_minor = s.gross_minor + excluded.gross_minor,
		fee_minor = s.fee_minor + excluded.fee_minor,
		net_minor = s.net_minor + excluded.net_minor,
		reversed_gross_minor = s.reversed_gross_minor + excluded.reversed_gross_minor,
		reversed_fee_minor = s.reversed_fee_minor + excluded.reversed_fee_minor,
		reversed_net_minor = s.reversed_net_minor + excluded.reversed_net_minor;
	RETURN true;
END
$$;
