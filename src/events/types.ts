// What happened, for whoever may see it: the real-time feed (/ws) and outbound webhooks both consume these.
// Emitted inside the transaction that made the change (pg_notify is delivered on commit, the outbox row commits
// with it), so no event announces a change that rolled back and no committed change goes unannounced.

export const EVENT_TYPES = [
  'conversion.created',
  'commission.approved',
  'commission.reversed',
  'payout.paid',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

/** The channel every host LISTENs on; payloads are JSON DomainEvents, kept under Postgres' 8,000-byte limit. */
export const EVENTS_CHANNEL = 'sk_events'

export interface DomainEvent {
  /** uuid v7; also the outbound delivery's event id in its payload. */
  readonly id: string
  readonly type: EventType
  /** ISO 8601 UTC. */
  readonly at: string
  /** The merchant whose program the event belongs to (null for a payout, which spans merchants). */
  readonly merchantId: string | null
  /** Influencers who may see it. An influencer's copy is `forInfluencer`ed: other influencers' figures removed. */
  readonly influencerIds: readonly string[]
  readonly data: EventData
}

/** Event details; `influencers` (per-influencer figures) is filtered down to the reader's own entry. */
export interface EventData {
  readonly [key: string]: unknown
  readonly influencers?: readonly ({ readonly influencerId: string } & Record<string, unknown>)[]
}

/** The copy of an event one influencer may read: their own per-influencer entry only. */
export function forInfluencer(e: DomainEvent, influencerId: string): DomainEvent {
  const list = e.data.influencers
  if (!list) return e
  return { ...e, data: { ...e.data, influencers: list.filter((i) => i.influencerId === influencerId) } }
}

/**
 * Wakes the outbound webhook worker on every host: sent only by a transaction that enqueued deliveries (or a
 * redelivery), so the worker is not woken by the many events no endpoint subscribes to.
 */
export const OUTBOUND_WAKE_CHANNEL = 'sk_outbound'

/** A new event of `type`, stamped now with a v7 id. */
export function domainEvent(
  type: EventType,
  e: { merchantId: string | null; influencerIds: readonly string[]; data: EventData },
): DomainEvent {
  return { id: Bun.randomUUIDv7(), type, at: new Date().toISOString(), ...e }
}

/**
 * The body an outbound webhook endpoint receives (Standard Webhooks shape). `eventId` is the same for every
 * endpoint the event went to (the webhook-id header is per delivery), so a receiver can also dedupe by event.
 */
export function webhookPayload(e: DomainEvent): Record<string, unknown> {
  return { type: e.type, timestamp: e.at, data: { eventId: e.id, merchantId: e.merchantId, ...e.data } }
}
