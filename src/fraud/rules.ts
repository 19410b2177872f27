import { createHash } from 'node:crypto'

// The fraud rules as pure functions over figures the settlement gathered: each returns a hit (rule, a reason in
// words and figures, details) or null. A hit never drops a commission: it is held for a merchant or admin to
// clear or reject. Evidence is hashes and counts only, never a raw address or email.

export const FRAUD_RULES = [
  'self_referral',
  'shared_ip',
  'click_flood',
  'fast_conversion',
  'refund_rate',
] as const
export type FraudRule = (typeof FRAUD_RULES)[number]

export interface FraudHit {
  readonly rule: FraudRule
  readonly reason: string
  readonly details: Record<string, unknown>
}

export const THRESHOLDS = {
  // One address clicking links of (or logging in as) this many *other* influencers of the same merchant within
  // the window: a shopper comparing reviews touches one or two creators; four or more accounts seen from one
  // address in a day is a household/office running several accounts, or cookie stuffing. Carrier NAT can share
  // an address, which is why this holds for review and never rejects by itself.
  sharedIpOtherInfluencers: 3,
  sharedIpWindowMs: 24 * 3_600_000,
  // Clicks on the deciding link from the deciding click's address within ±window: a person reopens a link a
  // few times; more than ten in ten minutes is a script refreshing it (the redirect scores 30 clicks in 10 s
  // from one address as a bot at once, this catches the slower kind).
  clickFloodClicks: 10,
  clickFloodWindowMs: 10 * 60_000,
  // The redirect adds 40 to a click's bot score for a flood from its address (and 60–95 for HEAD, prefetch,
  // bot user agents); from 40 up the click had at least one such signal. At or above the program's own
  // bot_score_threshold the click is not billable at all, so only the band in between reaches this rule.
  clickFloodBotScore: 40,
  // Landing, choosing and paying takes a person longer than this even with a saved wallet; a conversion this
  // soon after the click (or before it, within the clock skew attribution tolerates) was injected.
  fastConversionMs: 10_000,
  // Of the influencer's sales for one merchant in the last 30 days, the share refunded. Skincare returns run
  // well under 15 %; 30 % over at least 10 sales is not bad luck. Fewer sales say nothing either way.
  refundRateWindowMs: 30 * 86_400_000,
  refundRateMax: 0.3,
  refundRateMinSales: 10,
} as const

/** sha256 hex of the trimmed, lower-cased email: the same hash the network adapters store on conversions. */
export function hashEmail(email: string | null | undefined): string | null {
  const normalized = email?.trim().toLowerCase() ?? ''
  return normalized === '' ? null : createHash('sha256').update(normalized, 'utf8').digest('hex')
}

/** The buyer's email hash equals the credited influencer's own. */
export function selfReferral(f: {
  customerEmailHash: string | null
  influencerEmailHash: string | null
}): FraudHit | null {
  if (!f.customerEmailHash || !f.influencerEmailHash || f.customerEmailHash !== f.influencerEmailHash)
    return null
  return {
    rule: 'self_referral',
    reason: "the customer's email is the influencer's own (same email hash)",
    details: { customerEmailHash: f.customerEmailHash },
  }
}

/**
 * The converting address was also used by several other influencers of the merchant: it clicked their links, or
 * logged in to their accounts (one person running several accounts logs in to them from home), in the window.
 * An influencer seen both ways counts once.
 */
export function sharedIp(f: {
  ipHash: string | null
  /** Other influencers whose links the address clicked. */
  otherInfluencerIds: readonly string[]
  /** Other influencers whose accounts were logged in to from the address. */
  loginInfluencerIds?: readonly string[]
  windowMs?: number
  min?: number
}): FraudHit | null {
  const min = f.min ?? THRESHOLDS.sharedIpOtherInfluencers
  const windowMs = f.windowMs ?? THRESHOLDS.sharedIpWindowMs
  const byClick = new Set(f.otherInfluencerIds)
  const byLogin = new Set(f.loginInfluencerIds)
  const others = new Set([...byClick, ...byLogin])
  if (!f.ipHash || others.size < min) return null
  const how =
    byLogin.size === 0
      ? 'also clicked links of'
      : byClick.size === 0
        ? 'was also used to log in as'
        : `also clicked links of ${byClick.size} and was used to log in as ${byLogin.size} of`
  return {
    rule: 'shared_ip',
    reason: `the address that converted ${how} ${others.size} other influencers within ${hours(windowMs)} h (threshold ${min})`,
    details: {
      ipHash: f.ipHash,
      otherInfluencers: others.size,
      byClick: byClick.size,
      byLogin: byLogin.size,
      otherInfluencerIds: [...others].slice(0, 20),
      windowHours: hours(windowMs),
      threshold: min,
    },
  }
}

/** The deciding click came from an address hammering the link, or carried bot signals below the cut-off. */
export function clickFlood(f: {
  ipHash: string | null
  clicksOnLink: number
  botScore: number | null
  windowMs?: number
  maxClicks?: number
  botScoreMin?: number
}): FraudHit | null {
  const windowMs = f.windowMs ?? THRESHOLDS.clickFloodWindowMs
  const maxClicks = f.maxClicks ?? THRESHOLDS.clickFloodClicks
  const botScoreMin = f.botScoreMin ?? THRESHOLDS.clickFloodBotScore
  const flooded = f.ipHash !== null && f.clicksOnLink > maxClicks
  const scored = f.botScore !== null && f.botScore >= botScoreMin
  if (!flooded && !scored) return null
  const parts = [
    flooded
      ? `${f.clicksOnLink} clicks on the link from the deciding click's address within ±${minutes(windowMs)} min (more than ${maxClicks})`
      : null,
    scored ? `the deciding click's bot score is ${f.botScore} (${botScoreMin} or more)` : null,
  ].filter((p): p is string => p !== null)
  return {
    rule: 'click_flood',
    reason: parts.join('; '),
    details: {
      ipHash: f.ipHash,
      clicksOnLink: f.clicksOnLink,
      windowMinutes: minutes(windowMs),
      maxClicks,
      botScore: f.botScore,
      botScoreMin,
    },
  }
}

/** The conversion happened within seconds of the deciding click (or before it, within the skew allowed). */
export function fastConversion(f: { clickedAt: Date; occurredAt: Date; minMs?: number }): FraudHit | null {
  const minMs = f.minMs ?? THRESHOLDS.fastConversionMs
  const gap = f.occurredAt.getTime() - f.clickedAt.getTime()
  if (gap >= minMs) return null
  const seconds = Math.round(gap / 100) / 10
  return {
    rule: 'fast_conversion',
    reason:
      seconds < 0
        ? `converted ${-seconds} s before the deciding click (within the clock skew allowed; under ${minMs / 1000} s after it)`
        : `converted ${seconds} s after the deciding click (under ${minMs / 1000} s)`,
    details: {
      secondsAfterClick: seconds,
      thresholdSeconds: minMs / 1000,
      clickedAt: f.clickedAt.toISOString(),
      occurredAt: f.occurredAt.toISOString(),
    },
  }
}

/** Too many of the influencer's recent sales (for one merchant) were refunded, over a meaningful sample. */
export function refundRate(f: {
  sales: number
  refunded: number
  max?: number
  minSales?: number
  windowMs?: number
}): FraudHit | null {
  const max = f.max ?? THRESHOLDS.refundRateMax
  const minSales = f.minSales ?? THRESHOLDS.refundRateMinSales
  const windowMs = f.windowMs ?? THRESHOLDS.refundRateWindowMs
  if (f.sales < minSales || f.sales === 0) return null
  const rate = f.refunded / f.sales
  if (rate <= max) return null
  return {
    rule: 'refund_rate',
    reason: `${f.refunded} of ${f.sales} sales in the last ${days(windowMs)} days were refunded (${percent(rate)}, above ${percent(max)} with at least ${minSales} sales)`,
    details: {
      sales: f.sales,
      refunded: f.refunded,
      rate: Number(rate.toFixed(4)),
      max,
      minSales,
      windowDays: days(windowMs),
    },
  }
}

const hours = (ms: number) => ms / 3_600_000
const minutes = (ms: number) => ms / 60_000
const days = (ms: number) => ms / 86_400_000
const percent = (r: number) => `${Math.round(r * 1000) / 10} %`
