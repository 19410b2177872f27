-- Balances are derived from the append-only ledger, never stored. One row per influencer and currency:
--   pending / approved / paid  commission_earned and commission_reversed entries, by their commission's status
--   reversed                   entries of fully reversed commissions: always 0 when the ledger is consistent
--   payouts                    money sent (negative), offsetting `paid`
--   carried                    clawbacks after payout and adjustments: a negative figure is carried into
--                              the next payout
--   balance                    the sum of all of the above = sum(amount_minor) over the influencer's entries
CREATE VIEW "influencer_balances" AS
SELECT
	le.influencer_id,
	le.currency,
	coalesce(sum(le.amount_minor) FILTER (WHERE le.entry_type IN ('commission_earned', 'commission_reversed') AND c.status = 'pending'), 0)::bigint AS pending_minor,
	coalesce(sum(le.amount_minor) FILTER (WHERE le.entry_type IN ('commission_earned', 'commission_reversed') AND c.status = 'approved'), 0)::bigint AS approved_minor,
	coalesce(sum(le.amount_minor) FILTER (WHERE le.entry_type IN ('commission_earned', 'commission_reversed') AND c.status = 'paid'), 0)::bigint AS paid_minor,
	coalesce(sum(le.amount_minor) FILTER (WHERE le.entry_type IN ('commission_earned', 'commission_reversed') AND c.status = 'reversed'), 0)::bigint AS reversed_minor,
	coalesce(sum(le.amount_minor) FILTER (WHERE le.entry_type = 'payout'), 0)::bigint AS payouts_minor,
	coalesce(sum(le.amount_minor) FILTER (WHERE le.entry_type IN ('clawback', 'adjustment')), 0)::bigint AS carried_minor,
	sum(le.amount_minor)::bigint AS balance_minor
FROM "ledger_entries" le
LEFT JOIN "commissions" c ON c.id = le.commission_id
WHERE le.influencer_id IS NOT NULL
GROUP BY le.influencer_id, le.currency;
