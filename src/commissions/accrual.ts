import { type Attribution, type Commission, type Conversion, type Program } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import {
  addFractions,
  applyFractions,
  decimalToFraction,
  decimalToMinor,
  type Fraction,
  fractionToString,
  minorToDecimal,
  splitLargestRemainder,
} from '../shared/money.ts'
import { calculateCommission, commissionableBase, type RateRule } from './calculate.ts'
import { insertCommission } from './ledger.ts'
import { awardBounties } from './bounties.ts'
import { leftOf, recordReversal } from './reversal.ts'
import {
  campaignBoost,
  commissionsOfConversion,
  monthVolume,
  refundsOf,
  reversedByRefunds,
} from './queries.ts'

const DAY_MS = 86_400_000

/** What settlement hands over: the program with its rules, the attributions, and the members' terms. */
export interface Attributed {
  readonly program: Program & {
    readonly rules: readonly {
      readonly eventKind: string
      readonly commissionType: 'percent' | 'fixed'
      readonly rate: string | null
      readonly fixedMinor: string | null
      readonly currency: string | null
    }[]
    readonly hasBoosts: boolean
    readonly hasBounties: boolean
  }
  readonly rows: readonly Attribution[]
  readonly memberships: ReadonlyMap<string, { readonly rateOverride: string | null }>
}

const baseOf = (conv: Conversion, program: Program) =>
  commissionableBase({
    currency: conv.currency,
    mode: program.commissionableBase,
    subtotal: conv.subtotal,
    discount: conv.discount,
    tax: conv.tax,
    shipping: conv.shipping,
    total: conv.total,
    lineItems: conv.lineItems ?? [],
    excludedSkus: program.excludedSkus,
  })

/**
 * Turns a conversion's attributions into commissions and their ledger accruals. The conversion's base is split
 * between the attributions by weight with the largest-remainder rule (no cent created or lost), then each
 * influencer's own rate applies. Idempotent: commissions are unique per (attribution, kind) and ledger keys
 * derive from them.
 */
export async function accrueCommissions(
  tx: Db,
  conv: Conversion,
  settled: Attributed,
  opts: { heldRefunds?: boolean } = {},
): Promise<Commission[]> {
  const { program, rows: attributed, memberships } = settled
  const kind = conv.kind
  if (kind === 'refund' || kind === 'bounty' || attributed.length === 0) return []
  const rule = program.rules.find((r) => r.eventKind === kind)
  // A click conversion carries how many paid clicks it stands for; its rule is a fixed amount per click.
  const clicks = kind === 'click' ? BigInt(conv.lineItems?.[0]?.quantity ?? 0) : 1n
  const rate: RateRule | null = rule
    ? rule.commissionType === 'fixed'
      ? {
          type: 'fixed',
          amountMinor: BigInt(rule.fixedMinor ?? '0') * clicks,
          source:
            kind === 'click' ? `rule for click (fixed, × ${clicks} clicks)` : `rule for ${kind} (fixed)`,
        }
      : kind === 'click'
        ? null // a click has no amount a percentage could apply to
        : { type: 'percent', rate: rule.rate ?? '0', source: `rule for ${kind}` }
    : kind === 'lead' || kind === 'click'
      ? null // a lead or click carries no money: it earns only under an explicit rule for its kind
      : program.commissionType === 'fixed'
        ? { type: 'fixed', amountMinor: program.commissionFixedMinor ?? 0n, source: 'program (fixed)' }
        : { type: 'percent', rate: program.commissionRate ?? '0', source: 'program' }
  if (!rate) return []
  if (rate.type === 'fixed' && rule?.currency && rule.currency !== conv.currency) return []

  const base = baseOf(conv, program)
  const weights: Fraction[] = attributed.map((a) => ({ num: a.weightNum, den: a.weightDen }))
  const baseShares = splitLargestRemainder(base.baseMinor, weights)
  const fixedShares = rate.type === 'fixed' ? splitLargestRemainder(rate.amountMinor, weights) : []
  const holdUntil = new Date(conv.occurredAt.getTime() + program.holdDays * DAY_MS)

  const out: Commission[] = []
  for (const [i, a] of attributed.entries()) {
    if (!a.billable) continue
    const override = rate.type === 'percent' ? (memberships.get(a.influencerId)?.rateOverride ?? null) : null
    const effective: RateRule = override
      ? { type: 'percent', rate: override, source: 'negotiated rate (membership override)' }
      : rate
    const tier = effective.type === 'percent' ? await tierFor(tx, program, a, conv) : null
    const boost =
      effective.type === 'percent' && program.hasBoosts
        ? await campaignBoost(tx, a.linkId, conv.occurredAt)
        : null
    const figures = calculateCommission({
      currency: conv.currency,
      baseShareMinor: baseShares[i] ?? 0n,
      fixedShareMinor: fixedShares[i],
      weight: weights[i] ?? { num: 1n, den: 1n },
      rule: effective,
      tier,
      boost,
      platformFeeRate: program.platformFeeRate,
    })
    const row = await insertCommission(
      tx,
      {
        conversionId: conv.id,
        attributionId: a.id,
        influencerId: a.influencerId,
        programId: program.id,
        eventKind: kind,
        currency: conv.currency,
        baseMinor: figures.baseMinor,
        rate: figures.rate,
        grossMinor: figures.grossMinor,
        feeMinor: figures.feeMinor,
        netMinor: figures.netMinor,
        holdUntil,
        calculationDetails: {
          conversion: { id: conv.id, kind, total: conv.total, currency: conv.currency },
          attribution: {
            model: a.model,
            evidence: a.evidence,
            weight: fractionToString(weights[i] ?? { num: 1n, den: 1n }),
          },
          base: base.steps,
          baseShare: minorToDecimal(baseShares[i] ?? 0n, conv.currency),
          split: 'largest remainder over the attributions, ties to the earlier attribution',
          ...figures.steps,
          holdDays: program.holdDays,
        },
      },
      { merchantId: program.merchantId, at: conv.occurredAt },
    )
    if (!row) continue
    out.push(row)
  }
  // Refunds that arrived before their sale were held; now there is something to reverse.
  if (kind === 'sale' && out.length > 0 && opts.heldRefunds !== false)
    for (const refund of await refundsOf(tx, conv.id)) await reverseForRefund(tx, refund, conv, program)
  // A sale may take its influencer over a bounty's goal.
  if (kind === 'sale' && program.hasBounties)
    for (const c of [...out]) out.push(...(await awardBounties(tx, conv, program, c)))
  return out
}

async function tierFor(tx: Db, program: Program, a: Attribution, conv: Conversion) {
  const tiers = program.tiers ?? []
  if (tiers.length === 0) return null
  const v = await monthVolume(tx, {
    programId: program.id,
    influencerId: a.influencerId,
    occurredAt: conv.occurredAt,
    conversionId: conv.id,
  })
  let best: { rate: string; label: string } | null = null
  for (const t of tiers) {
    const byCount = t.minConversions === undefined || v.count >= t.minConversions
    const byRevenue = t.minRevenueMinor === undefined || v.baseMinor >= BigInt(t.minRevenueMinor)
    if (!byCount || !byRevenue) continue
    if (!best || compareRates(t.rate, best.rate) > 0)
      best = {
        rate: t.rate,
        label: `${v.count} earlier sales / ${minorToDecimal(v.baseMinor, conv.currency)} this month`,
      }
  }
  return best
}

const compareRates = (a: string, b: string) => {
  const x = decimalToFraction(a)
  const y = decimalToFraction(b)
  const l = x.num * y.den
  const r = y.num * x.den
  return l < r ? -1 : l > r ? 1 : 0
}

/**
 * A refund reverses its sale's commissions in proportion to what it refunds of the commissionable base
 * (line-level when the refund names lines, else by its total). The proportion is cumulative: after refunds
 * r1…rk (in the order they were stored), round(gross × (f1 + … + fk)) has been reversed, each refund adding
 * the difference, so the total reversed is rounded once whatever way the refunded money was split. Once
 * refunds cover the whole order, whatever is left is reversed. Before payout the commission shrinks
 * (reversed when nothing is left); after payout the influencer gets a clawback entry carried into the next
 * payout, never an edit of what was paid.
 */
export async function reverseForRefund(
  tx: Db,
  refund: Conversion,
  sale: Conversion,
  program: Program,
): Promise<void> {
  const saleBase = baseOf(sale, program).baseMinor
  const saleTotal = decimalToMinor(sale.total, sale.currency)
  const share = (r: Conversion): Fraction =>
    r.subtotal !== null || (r.lineItems?.length ?? 0) > 0
      ? { num: baseOf(r, program).baseMinor, den: saleBase || 1n }
      : { num: decimalToMinor(r.total, sale.currency), den: saleTotal || 1n }
  const upToThis = (await refundsOf(tx, sale.id)).filter((r) => r.id <= refund.id)
  const full = upToThis.reduce((a, r) => a + decimalToMinor(r.total, sale.currency), 0n) >= saleTotal
  const cumulative = upToThis.map(share).reduce(addFractions, { num: 0n, den: 1n })
  const earlier = upToThis.filter((r) => r.id !== refund.id).map((r) => r.id)

  for (const c of await commissionsOfConversion(tx, sale.id)) {
    if (c.status === 'reversed') continue
    const left = await leftOf(tx, c)
    if (left.gross <= 0n) continue
    const done = await reversedByRefunds(tx, c.id, earlier)
    const target = (whole: bigint) => (full ? whole : min(whole, applyFractions(whole, cumulative)))
    const gross = clamp(target(c.grossMinor) - done.gross, 0n, left.gross)
    let fee = gross === left.gross ? left.fee : clamp(target(c.feeMinor) - done.fee, 0n, min(left.fee, gross))
    if (gross - fee > left.net) fee = gross - left.net
    if (gross === 0n && fee === 0n) continue
    await recordReversal(tx, c, {
      merchantId: program.merchantId,
      refundConversionId: refund.id,
      gross,
      fee,
      left,
      reason: full ? 'refund (order fully refunded)' : `refund ${refund.total} of ${sale.total}`,
      at: refund.occurredAt,
    })
  }
}

const clamp = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v)
const min = (a: bigint, b: bigint) => (a < b ? a : b)
