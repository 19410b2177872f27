import { attributions, type Attribution, type Conversion } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { addFractions, type Fraction, fractionToString, reduce } from '../shared/money.ts'
import {
  attributionsOf,
  type ClickTouch,
  clickById,
  couponOwner,
  deviceTouches,
  type Membership,
  membershipByHandle,
  membershipsOf,
  merchantPrograms,
  type ProgramContext,
  originalSale,
  setConversionProgram,
} from './queries.ts'
import { touchWeights } from './weights.ts'

const DAY_MS = 86_400_000
// A network's order time and our click time come from different clocks: a click this much "after" the sale
// is still taken as before it.
const CLOCK_SKEW_MS = 10 * 60_000

// Evidence in the order it is trusted (issue 5): our signed click id → the network's sub-id → a coupon
// mapped to an influencer → the attribution cookie's click → the last click in the window matched by device
// signals. The cookie step needs the on-site snippet (issue 11); until then an S2S client sends the
// cookie's value as the click id, which is the same signed token.
const CONFIDENCE = { click_id: '1.000', sub_id: '0.900', coupon: '0.800', cookie: '0.700', device: '0.500' }
type Evidence = keyof typeof CONFIDENCE

type Program = ProgramContext

/** The attributions of a conversion, its program, and the attributed influencers' memberships in it. */
export interface Attributed {
  readonly program: ProgramContext
  readonly rows: Attribution[]
  readonly memberships: Map<string, Membership>
}

interface Found {
  readonly program: Program
  readonly evidence: Evidence
  /** The influencer the evidence names (single-touch evidence) or the deciding click's. */
  readonly influencerId: string
  readonly decisive: ClickTouch | null
  readonly notBillable: string | null
}

/**
 * Who gets credit for a conversion, stored as attributions rows (one per influencer, exact weights summing to
 * 1). Idempotent: a conversion that already has attributions gets them back unchanged. Refunds are never
 * attributed: they reverse their sale's commissions. Returns the program the conversion belongs to, or null
 * when no evidence names one of the merchant's programs.
 */
export async function attributeConversion(
  tx: Db,
  conv: Conversion,
  opts: { fresh?: boolean } = {},
): Promise<Attributed | null> {
  if (conv.kind === 'refund' || conv.kind === 'click' || conv.kind === 'bounty') return null
  const programs = await merchantPrograms(tx, conv.merchantId)
  // A conversion this transaction just stored has nothing attributed yet: no need to look.
  const existing = opts.fresh ? [] : await attributionsOf(tx, conv.id)
  if (existing.length > 0) {
    const program = programs.find((p) => p.id === existing[0]?.programId)
    if (!program) return null
    const memberships = await membershipsOf(
      tx,
      program.id,
      existing.map((a) => a.influencerId),
    )
    return { program, rows: existing, memberships }
  }
  if (conv.kind === 'subscription_renewal') return attributeRenewal(tx, conv, programs)
  const found = await findEvidence(tx, conv, programs)
  if (!found) return null
  const { program } = found
  const windowMs = program.cookieWindowDays * DAY_MS
  const at = conv.occurredAt.getTime()

  // Multi-touch models weigh the same device's human clicks in the window; the deciding click is always one.
  let touches: ClickTouch[] = found.decisive ? [found.decisive] : []
  if (found.decisive?.ipHash && program.attributionModel !== 'last_click' && found.notBillable === null) {
    const near = await deviceTouches(tx, {
      programId: program.id,
      ipHash: found.decisive.ipHash,
      userAgent: found.decisive.userAgent,
      from: new Date(at - windowMs),
      to: conv.occurredAt,
    })
    const human = near.filter((c) => !isBot(c, program))
    touches = human.some((c) => c.id === found.decisive?.id) ? human : [...human, found.decisive]
    touches.sort((a, b) => a.clickedAt.getTime() - b.clickedAt.getTime())
  }
  const weights =
    touches.length > 0
      ? touchWeights(
          program.attributionModel,
          touches.map((t) => at - t.clickedAt.getTime()),
          program.timeDecayHalfLifeHours,
        )
      : []

  // One row per influencer: a multi-touch path through the same influencer's links sums its weights.
  const byInfluencer = new Map<string, { weight: Fraction; last: ClickTouch | null; touches: object[] }>()
  if (touches.length === 0)
    byInfluencer.set(found.influencerId, { weight: { num: 1n, den: 1n }, last: null, touches: [] })
  touches.forEach((t, i) => {
    const w = weights[i] ?? { num: 0n, den: 1n }
    const cur = byInfluencer.get(t.influencerId) ?? { weight: { num: 0n, den: 1n }, last: null, touches: [] }
    cur.weight = addFractions(cur.weight, w)
    if (w.num > 0n || cur.last === null) cur.last = t
    cur.touches.push({
      clickId: t.id,
      at: t.clickedAt.toISOString(),
      linkId: t.linkId,
      weight: fractionToString(w),
    })
    byInfluencer.set(t.influencerId, cur)
  })

  const credited = [...byInfluencer].filter(([, v]) => v.weight.num > 0n)
  const memberships = await membershipsOf(
    tx,
    program.id,
    credited.map(([id]) => id),
  )
  const rows: (typeof attributions.$inferInsert)[] = []
  for (const [influencerId, v] of credited) {
    const w = reduce(v.weight)
    const m = memberships.get(influencerId)
    const reason =
      found.notBillable ?? (!m ? 'not_a_member' : m.status === 'approved' ? null : `membership_${m.status}`)
    rows.push({
      conversionId: conv.id,
      clickId: v.last?.id ?? null,
      clickedAt: v.last?.clickedAt ?? null,
      linkId: v.last?.linkId ?? null,
      influencerId,
      programId: program.id,
      model: program.attributionModel,
      evidence: found.evidence,
      windowDays: program.cookieWindowDays,
      weightNum: w.num,
      weightDen: w.den,
      confidence: CONFIDENCE[found.evidence],
      billable: reason === null,
      reason,
      details: {
        touches: v.touches,
        ...(conv.clickIdProblem ? { ignoredClickId: conv.clickIdProblem } : {}),
      },
    })
  }
  await setConversionProgram(tx, conv.id, program.id)
  const inserted = await tx.insert(attributions).values(rows).onConflictDoNothing().returning()
  // A concurrent settle of the same conversion lost the race: what it stored is the answer.
  const stored = inserted.length === rows.length ? inserted : await attributionsOf(tx, conv.id)
  return { program, rows: stored, memberships }
}

const isBot = (c: ClickTouch, p: Program) => c.isBot || (c.botScore ?? 0) >= p.botScoreThreshold

async function findEvidence(tx: Db, conv: Conversion, programs: Program[]): Promise<Found | null> {
  const byId = new Map(programs.map((p) => [p.id, p]))
  const at = conv.occurredAt.getTime()
  const test = conv.isTest ? 'test_event' : null
  if (conv.clickId) {
    const click = await clickById(tx, conv.clickId)
    const program = click && byId.get(click.programId)
    if (click && program) {
      const age = at - click.clickedAt.getTime()
      const reason =
        test ??
        (age > program.cookieWindowDays * DAY_MS
          ? 'click_expired'
          : age < -CLOCK_SKEW_MS
            ? 'click_after_conversion'
            : isBot(click, program)
              ? 'bot_click'
              : !program.active
                ? 'program_inactive'
                : null)
      return {
        program,
        evidence: 'click_id',
        influencerId: click.influencerId,
        decisive: click,
        notBillable: reason,
      }
    }
  }
  if (conv.subId) {
    const m = await membershipByHandle(tx, conv.merchantId, conv.subId)
    const program = m && byId.get(m.programId)
    if (m && program) return single(program, 'sub_id', m.influencerId, test)
  }
  if (conv.couponCode) {
    const c = await couponOwner(tx, conv.merchantId, conv.couponCode)
    const program = c && byId.get(c.programId)
    if (c && program) return single(program, 'coupon', c.influencerId, test)
  }
  if (conv.ipHash) {
    // Device signals: the latest human click in any of the merchant's programs' windows.
    let best: { click: ClickTouch; program: Program } | null = null
    for (const program of programs) {
      const near = await deviceTouches(tx, {
        programId: program.id,
        ipHash: conv.ipHash,
        from: new Date(at - program.cookieWindowDays * DAY_MS),
        to: conv.occurredAt,
      })
      const last = near.filter((c) => !isBot(c, program)).at(-1)
      if (last && (!best || last.clickedAt > best.click.clickedAt)) best = { click: last, program }
    }
    if (best)
      return {
        program: best.program,
        evidence: 'device',
        influencerId: best.click.influencerId,
        decisive: best.click,
        notBillable: test,
      }
  }
  return null
}

const single = (program: Program, evidence: Evidence, influencerId: string, test: string | null): Found => ({
  program,
  evidence,
  influencerId,
  decisive: null,
  notBillable: test ?? (program.active ? null : 'program_inactive'),
})

/** A renewal earns for whoever brought the subscriber, while the program's recurring period lasts. */
async function attributeRenewal(tx: Db, conv: Conversion, programs: Program[]) {
  const sale = await originalSale(tx, conv.merchantId, conv.externalOrderId)
  if (!sale) return null
  const first = await attributionsOf(tx, sale.id)
  const program = programs.find((p) => p.id === first[0]?.programId)
  if (!program || first.length === 0) return null
  const months = program.recurringMonths
  const over = months !== null && conv.occurredAt >= addMonths(sale.occurredAt, months)
  const rows = first.map((a) => ({
    conversionId: conv.id,
    clickId: a.clickId,
    clickedAt: a.clickedAt,
    linkId: a.linkId,
    influencerId: a.influencerId,
    programId: a.programId,
    model: a.model,
    evidence: a.evidence,
    windowDays: a.windowDays,
    weightNum: a.weightNum,
    weightDen: a.weightDen,
    confidence: a.confidence,
    billable: a.billable && !over && !conv.isTest,
    reason: a.reason ?? (conv.isTest ? 'test_event' : over ? 'recurring_period_over' : null),
    details: { renewalOf: sale.id, recurringMonths: months },
  }))
  await setConversionProgram(tx, conv.id, program.id)
  await tx.insert(attributions).values(rows).onConflictDoNothing()
  const stored = await attributionsOf(tx, conv.id)
  return {
    program,
    rows: stored,
    memberships: await membershipsOf(
      tx,
      program.id,
      stored.map((a) => a.influencerId),
    ),
  }
}

function addMonths(d: Date, months: number): Date {
  const r = new Date(d)
  r.setUTCMonth(r.getUTCMonth() + months)
  return r
}
