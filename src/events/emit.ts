import { inArray, sql } from 'drizzle-orm'
import {
  type Attribution,
  type Commission,
  type Conversion,
  type Payout,
  programs,
  type Reversal,
} from '../db/schema/index.ts'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import { decimalToMinor } from '../shared/money.ts'
import {
  type DomainEvent,
  domainEvent,
  EVENTS_CHANNEL,
  forInfluencer,
  OUTBOUND_WAKE_CHANNEL,
  webhookPayload,
} from './types.ts'

// Postgres refuses NOTIFY payloads of 8,000 bytes or more; a little headroom for multi-byte surprises.
const MAX_NOTIFY_BYTES = 7_900

/**
 * The feed's copy: the event itself, or without its per-influencer list should that not fit a NOTIFY, or else also
 * without its long values (a sender's order id can be any length): a NOTIFY that does not fit fails the transaction.
 */
function notifyText(e: DomainEvent): string {
  const full = JSON.stringify(e)
  if (Buffer.byteLength(full) <= MAX_NOTIFY_BYTES) return full
  const { influencers: _dropped, ...rest } = e.data
  const slim = JSON.stringify({ ...e, data: { ...rest, truncated: true } })
  if (Buffer.byteLength(slim) <= MAX_NOTIFY_BYTES) return slim
  const short = Object.entries(rest).filter(([, v]) => Buffer.byteLength(JSON.stringify(v) ?? '') <= 256)
  return JSON.stringify({ ...e, data: { ...Object.fromEntries(short), truncated: true } })
}

interface EndpointRow {
  id: string | null
  merchant_id: string | null
  influencer_id: string | null
  events: string[] | string | null
}

// Ids come from our own uuid columns, so the array literal needs no quoting.
const uuidArray = (ids: readonly string[]) => `{${ids.join(',')}}`

/**
 * Announces events inside the caller's transaction: a NOTIFY on sk_events per event (delivered on commit, so a
 * rolled-back change is never announced) and one outbox row per subscribed, enabled endpoint, which commits or
 * rolls back with the change. One round trip when nobody subscribes (the common case), two otherwise.
 */
export async function emitEvents(tx: Db, events: readonly DomainEvent[]): Promise<number> {
  if (events.length === 0) return 0
  const merchants = [...new Set(events.flatMap((e) => (e.merchantId ? [e.merchantId] : [])))]
  const influencers = [...new Set(events.flatMap((e) => e.influencerIds))]
  // The left join keeps one row even without endpoints, so the materialized NOTIFYs always run.
  const found = await rawRows<EndpointRow>(
    tx,
    sql`with sent as materialized (
          select pg_notify(${EVENTS_CHANNEL}, p) from jsonb_array_elements_text(${JSON.stringify(events.map(notifyText))}::jsonb) p
        )
        select e.id, e.merchant_id, e.influencer_id, to_json(e.events)::text as events
          from (select count(*) from sent) n
          left join webhook_endpoints e on e.disabled_at is null
           and (e.merchant_id = any(${uuidArray(merchants)}::uuid[])
             or e.influencer_id = any(${uuidArray(influencers)}::uuid[]))`,
  )
  const endpoints = found.flatMap((r) =>
    r.id ? [{ ...r, id: r.id, events: typeof r.events === 'string' ? JSON.parse(r.events) : r.events }] : [],
  )
  if (endpoints.length === 0) return 0
  const rows: { id: string; endpoint_id: string; event_type: string; payload: unknown }[] = []
  for (const e of events)
    for (const ep of endpoints) {
      if (!(ep.events as string[]).includes(e.type)) continue
      const copy =
        ep.merchant_id !== null && ep.merchant_id === e.merchantId
          ? e
          : ep.influencer_id !== null && e.influencerIds.includes(ep.influencer_id)
            ? forInfluencer(e, ep.influencer_id)
            : undefined
      if (copy)
        rows.push({
          id: Bun.randomUUIDv7(),
          endpoint_id: ep.id,
          event_type: e.type,
          payload: webhookPayload(copy),
        })
    }
  if (rows.length === 0) return 0
  await rawRows(
    tx,
    sql`with ins as (
          insert into webhook_deliveries (id, endpoint_id, event_type, payload)
          select r.id, r.endpoint_id, r.event_type, r.payload
            from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                 as r(id uuid, endpoint_id uuid, event_type text, payload jsonb)
          returning 1
        )
        select pg_notify(${OUTBOUND_WAKE_CHANNEL}, '') from (select count(*) from ins) n`,
  )
  return rows.length
}

export const emitEvent = (tx: Db, e: DomainEvent) => emitEvents(tx, [e])

/** The merchant of each program (one indexed query), for call sites that only know the program. */
export async function merchantsOf(
  tx: Db,
  programIds: readonly string[],
): Promise<(programId: string) => string> {
  const ids = [...new Set(programIds)]
  const rows =
    ids.length === 0
      ? []
      : await tx
          .select({ id: programs.id, merchantId: programs.merchantId })
          .from(programs)
          .where(inArray(programs.id, ids))
  const map = new Map(rows.map((r) => [r.id, r.merchantId]))
  return (programId) => {
    const m = map.get(programId)
    if (!m) throw new Error(`program ${programId} missing`)
    return m
  }
}

// Money in events is integer minor units as strings (JSON has no bigint; floats are never exact).
const s = (m: bigint) => m.toString()

/** A new conversion settled: who was credited, with what weight, and each one's commission. */
export function conversionCreated(
  conv: Conversion,
  programId: string,
  attributed: readonly Attribution[],
  earned: readonly Commission[],
): DomainEvent {
  const influencers = attributed.map((a) => {
    const c = earned.find((x) => x.attributionId === a.id && x.eventKind === conv.kind)
    return {
      influencerId: a.influencerId,
      attributionId: a.id,
      weight: `${a.weightNum}/${a.weightDen}`,
      billable: a.billable,
      commission: c
        ? { id: c.id, status: c.status, grossMinor: s(c.grossMinor), netMinor: s(c.netMinor) }
        : null,
    }
  })
  return domainEvent('conversion.created', {
    merchantId: conv.merchantId,
    influencerIds: [...new Set(attributed.map((a) => a.influencerId))],
    data: {
      conversionId: conv.id,
      kind: conv.kind,
      orderId: conv.externalOrderId,
      currency: conv.currency,
      totalMinor: s(decimalToMinor(conv.total, conv.currency)),
      occurredAt: conv.occurredAt.toISOString(),
      programId,
      influencers,
    },
  })
}

const commissionData = (c: Commission) => ({
  commissionId: c.id,
  conversionId: c.conversionId,
  programId: c.programId,
  influencerId: c.influencerId,
  kind: c.eventKind,
  status: c.status,
  currency: c.currency,
  grossMinor: s(c.grossMinor),
  feeMinor: s(c.feeMinor),
  netMinor: s(c.netMinor),
})

export function commissionApproved(c: Commission, merchantId: string): DomainEvent {
  return domainEvent('commission.approved', {
    merchantId,
    influencerIds: [c.influencerId],
    data: { ...commissionData(c), approvedAt: c.approvedAt?.toISOString() ?? null },
  })
}

/**
 * One reversal of a commission, partial or full: `full` says whether anything is left, `afterPayout` that the
 * money was already paid (the influencer owes it back as a clawback; the commission stays paid).
 */
export function commissionReversed(
  c: Commission,
  rev: Reversal,
  r: { merchantId: string; full: boolean; afterPayout: boolean; left: { gross: bigint; net: bigint } },
): DomainEvent {
  return domainEvent('commission.reversed', {
    merchantId: r.merchantId,
    influencerIds: [c.influencerId],
    data: {
      ...commissionData(c),
      reversalId: rev.id,
      refundConversionId: rev.refundConversionId,
      reason: rev.reason,
      full: r.full,
      afterPayout: r.afterPayout,
      reversedGrossMinor: s(rev.grossMinor),
      reversedFeeMinor: s(rev.feeMinor),
      reversedNetMinor: s(rev.netMinor),
      remainingGrossMinor: s(r.left.gross - rev.grossMinor),
      remainingNetMinor: s(r.left.net - rev.netMinor),
    },
  })
}

/** A payout spans merchants, so only its influencer hears of it. */
export function payoutPaid(p: Payout): DomainEvent {
  return domainEvent('payout.paid', {
    merchantId: null,
    influencerIds: [p.influencerId],
    data: {
      payoutId: p.id,
      influencerId: p.influencerId,
      period: p.period,
      method: p.method,
      currency: p.currency,
      grossMinor: s(p.grossMinor),
      platformFeeMinor: s(p.platformFeeMinor),
      processingFeeMinor: s(p.processingFeeMinor),
      netMinor: s(p.netMinor),
      providerRef: p.providerRef,
      paidAt: p.paidAt?.toISOString() ?? null,
    },
  })
}
