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
