import { type SQL, sql } from 'drizzle-orm'
import type { Db } from '../db/store.ts'

// The money invariants `skinstack ledger verify` checks, one query each. Read-only: every check is a
// single SELECT, so each sees one consistent snapshot of the tables it compares. The posting contract
// these rely on is the comment at the top of ledger.ts.
//
// Each query yields the offending keys (a commission, reversal, conversion or entry id; for balances
// "<party id>/<currency>") as `id`; violations counts them all, sample keeps the first few by id.

export interface LedgerCheck {
  readonly name: string
  readonly description: string
  readonly violations: number
  readonly sample: unknown[]
}

export interface LedgerVerification {
  readonly ok: boolean
  readonly checks: LedgerCheck[]
}

const SAMPLE_SIZE = 5

interface Invariant {
  readonly name: string
  readonly description: string
  /** Rows of offending keys in a column named `id`. */
  readonly query: SQL
}

// The influencer's and the merchant's accrual rows of commission c (p = its program), as ledger.ts posts them.
const accrualRows = {
  influencerEarned: sql`le.entry_type = 'commission_earned' and le.influencer_id = c.influencer_id
    and le.amount_minor = c.net_minor and le.idempotency_key = 'earned:' || c.id::text`,
  merchantEarned: sql`le.entry_type = 'commission_earned' and le.merchant_id = p.merchant_id
    and le.amount_minor = c.net_minor and le.idempotency_key = 'earned:' || c.id::text || ':merchant'`,
  merchantFee: sql`le.entry_type = 'platform_fee' and le.merchant_id = p.merchant_id
    and le.amount_minor = c.fee_minor and le.idempotency_key = 'fee:' || c.id::text || ':merchant'`,
}

// The rows of reversal r of commission c; the influencer's is a reversal before payout, a clawback after.
const reversalRows = {
  influencer: sql`le.influencer_id = c.influencer_id and le.amount_minor = -r.net_minor and (
    (le.entry_type = 'commission_reversed' and le.idempotency_key = 'reversed:' || r.id::text)
    or (le.entry_type = 'clawback' and le.idempotency_key = 'clawback:' || r.id::text))`,
  merchantReversed: sql`le.entry_type = 'commission_reversed' and le.merchant_id = p.merchant_id
    and le.amount_minor = -r.net_minor and le.idempotency_key = 'reversed:' || r.id::text || ':merchant'`,
  merchantFee: sql`le.entry_type = 'platform_fee' and le.merchant_id = p.merchant_id
    and le.amount_minor = -r.fee_minor and le.idempotency_key = 'fee:' || r.id::text || ':merchant'`,
}

const reversedGross = sql`(select commission_id, sum(gross_minor) as gross_minor from reversals group by commission_id)`

export const INVARIANTS: readonly Invariant[] = [
  {
    name: 'commission_amounts',
    description: 'every commission and reversal has gross = fee + net with fee and net >= 0',
    query: sql`
      select id from commissions
       where not (gross_minor = fee_minor + net_minor and fee_minor >= 0 and net_minor >= 0)
      union all
      select id from reversals
       where not (gross_minor = fee_minor + net_minor and fee_minor >= 0 and net_minor >= 0)`,
  },
  {
    // Rows of the commission outside any reversal, of the two accrual types, must be exactly the three posted
    // by postAccrual. Other entries naming the commission (adjustments) are not accruals and may exist.
    name: 'commission_accruals',
    description:
      "every commission has exactly its three accrual entries (influencer earned +net 'earned:<id>', merchant earned +net 'earned:<id>:merchant', merchant platform_fee +fee 'fee:<id>:merchant') in its currency",
    query: sql`
      select c.id from commissions c
        join programs p on p.id = c.program_id
        left join ledger_entries le on le.commission_id = c.id and le.reversal_id is null
              and le.entry_type in ('commission_earned', 'platform_fee')
       group by c.id, p.merchant_id
      having count(le.id) <> 3
          or count(le.id) filter (where ${accrualRows.influencerEarned}) <> 1
          or count(le.id) filter (where ${accrualRows.merchantEarned}) <> 1
          or count(le.id) filter (where ${accrualRows.merchantFee}) <> 1
          or count(le.id) filter (where le.currency <> c.currency) > 0`,
  },
  {
    name: 'reversal_entries',
    description:
      "every reversal has exactly its three entries (influencer commission_reversed 'reversed:<id>' or clawback 'clawback:<id>' -net, merchant commission_reversed -net, merchant platform_fee -fee) matching its amounts and currency, which is its commission's",
    query: sql`
      select r.id from reversals r
        join commissions c on c.id = r.commission_id
        join programs p on p.id = c.program_id
        left join ledger_entries le on le.reversal_id = r.id and le.entry_type <> 'adjustment'
       group by r.id, c.id, p.merchant_id
      having count(le.id) <> 3
          or count(le.id) filter (where ${reversalRows.influencer}) <> 1
          or count(le.id) filter (where ${reversalRows.merchantReversed}) <> 1
          or count(le.id) filter (where ${reversalRows.merchantFee}) <> 1
          or count(le.id) filter (where le.commission_id is distinct from c.id or le.currency <> r.currency) > 0
          or r.currency <> c.currency`,
  },
  {
    name: 'reversal_totals',
    description: "a commission's reversals never add up to more than its gross, fee or net",
    query: sql`
      select c.id from commissions c
        join reversals r on r.commission_id = c.id
       group by c.id
      having sum(r.gross_minor) > c.gross_minor or sum(r.fee_minor) > c.fee_minor or sum(r.net_minor) > c.net_minor`,
  },
  {
    // A commission reversed once it is in a payout stays as it is (its clawback is carried into the next
    // payout), so 'reversed' means fully reversed before any payout; see influencer_balances.reversed_minor,
    // which is 0 only then. A commission stays linked to a payout that failed, and is paid by the next one.
    name: 'commission_status',
    description:
      "status 'reversed' iff fully reversed (reversals' gross = gross > 0) and never in a payout; 'paid' iff its payout is paid; 'approved' and 'paid' have approved_at; influencer clawbacks only on commissions in a payout",
    query: sql`
      select c.id from commissions c
        left join ${reversedGross} r on r.commission_id = c.id
       where (c.gross_minor > 0
              and (c.status = 'reversed') <> (coalesce(r.gross_minor, 0) = c.gross_minor and c.payout_id is null))
          or (c.status = 'paid') <> exists (select 1 from payouts p where p.id = c.payout_id and p.status = 'paid')
          or (c.status in ('approved', 'paid') and c.approved_at is null)
          or (c.payout_id is null and exists (
                select 1 from ledger_entries le
                 where le.commission_id = c.id and le.entry_type = 'clawback' and le.influencer_id is not null))`,
  },
  {
    // Exact: the fractions are added pairwise over a common denominator (numeric is unbounded), reduced by
    // their gcd; a numeric division would make linear thirds sum to 0.999….
    name: 'attribution_weights',
    description: "a conversion's attribution weights (weight_num / weight_den) sum to exactly 1",
    query: sql`
      with recursive w as (
        select conversion_id, weight_num::numeric as num, weight_den::numeric as den,
               row_number() over (partition by conversion_id order by id) as i,
               count(*) over (partition by conversion_id) as n
          from attributions
      ), acc as (
        select conversion_id, i, n, num, den from w where i = 1
        union all
        select w.conversion_id, w.i, w.n,
               (acc.num * w.den + w.num * acc.den) / gcd(acc.num * w.den + w.num * acc.den, acc.den * w.den),
               (acc.den * w.den) / gcd(acc.num * w.den + w.num * acc.den, acc.den * w.den)
          from acc join w on w.conversion_id = acc.conversion_id and w.i = acc.i + 1
      )
      select conversion_id as id from acc where i = n and num <> den`,
  },
  {
    name: 'entry_sources',
    description:
      'commission_earned, commission_reversed, platform_fee and clawback entries name their commission; commission_reversed and clawback their reversal; payout entries their payout',
    query: sql`
      select id from ledger_entries
       where (entry_type in ('commission_earned', 'commission_reversed', 'platform_fee', 'clawback')
              and commission_id is null)
          or (entry_type in ('commission_reversed', 'clawback') and reversal_id is null)
          or (entry_type = 'payout' and payout_id is null)`,
  },
  {
    name: 'influencer_balances',
    description:
      'influencer_balances: reversed_minor = 0, balance = pending + approved + paid + reversed + payouts + carried = the sum of the ledger, one row per influencer and currency in the ledger',
    query: sql`
      with ledger as (
        select influencer_id, currency, sum(amount_minor) as total
          from ledger_entries where influencer_id is not null
         group by influencer_id, currency
      )
      select coalesce(b.influencer_id, l.influencer_id)::text || '/' || coalesce(b.currency, l.currency) as id
        from influencer_balances b
        full join ledger l on l.influencer_id = b.influencer_id and l.currency = b.currency
       where b.influencer_id is null or l.influencer_id is null
          or b.reversed_minor <> 0
          or b.balance_minor <> b.pending_minor + b.approved_minor + b.paid_minor + b.reversed_minor
                                + b.payouts_minor + b.carried_minor
          or b.balance_minor <> l.total`,
  },
  {
    // Merchant adjustments count: they are how a mis-posted merchant row is corrected.
    name: 'merchant_balances',
    description:
      "per merchant and currency, its entries sum to what it owes: the gross of its programs' commissions less their reversals' gross",
    query: sql`
      with owed as (
        select p.merchant_id, c.currency, sum(c.gross_minor - coalesce(r.gross_minor, 0)) as total
          from commissions c
          join programs p on p.id = c.program_id
          left join ${reversedGross} r on r.commission_id = c.id
         group by p.merchant_id, c.currency
      ), posted as (
        select merchant_id, currency, sum(amount_minor) as total
          from ledger_entries where merchant_id is not null
         group by merchant_id, currency
      )
      select coalesce(o.merchant_id, l.merchant_id)::text || '/' || coalesce(o.currency, l.currency) as id
        from owed o
        full join posted l on l.merchant_id = o.merchant_id and l.currency = o.currency
       where coalesce(o.total, 0) <> coalesce(l.total, 0)`,
  },
]

/** Runs every invariant; ok when none has a violation. */
export async function verifyLedger(db: Db): Promise<LedgerVerification> {
  const checks: LedgerCheck[] = []
  for (const inv of INVARIANTS) {
    // The window counts every offending row before the limit keeps a sample.
    const rows = rowsOf<{ id: string; total: number }>(
      await db.execute(sql`
        select v.id::text as id, (count(*) over ())::int as total
          from (${inv.query}) v
         order by v.id::text
         limit ${SAMPLE_SIZE}`),
    )
    checks.push({
      name: inv.name,
      description: inv.description,
      violations: Number(rows[0]?.total ?? 0),
      sample: rows.map((r) => r.id),
    })
  }
  return { ok: checks.every((c) => c.violations === 0), checks }
}

/** postgres.js returns an array, PGlite an object with rows. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}
