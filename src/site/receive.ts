import { isbot } from 'isbot'
import { LRUCache } from 'lru-cache'
import type { ClickIdKey } from '../config.ts'
import { verifyClickId } from '../shared/click-id.ts'
import { HttpError } from '../shared/errors.ts'
import type { PendingEvent } from './event-flusher.ts'

// A snippet event as the browser sent it → what the flusher stores. Nothing here touches the database: the click
// is checked by its signature, and what it belongs to is looked up when the batch is stored.

export const EVENT_MAX_BYTES = 16 * 1024
export const EVENT_KINDS = ['session', 'pageview', 'conversion'] as const
export type EventKind = (typeof EVENT_KINDS)[number]

export interface EventBody {
  readonly merchant: string
  readonly sessionId: string
  readonly clickToken: string | null
  readonly url: string | null
  readonly referrer: string | null
  readonly orderId: string | null
  readonly revenue: string | null
  readonly currency: string | null
}

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/
// The major unit with up to four decimals: what numeric(20,4) keeps exactly. A number the page passed was turned
// into its shortest decimal text by the snippet; this refuses exponents and anything a float could round.
const DECIMAL = /^\d{1,15}(\.\d{1,4})?$/
const CURRENCY = /^[A-Z]{3}$/

/** Parses and checks the body: 400 for bytes that are not a JSON object, 422 naming every bad field. */
export function parseEventBody(kind: EventKind, raw: string): EventBody {
  if (raw.length > EVENT_MAX_BYTES)
    throw new HttpError(413, 'body_too_large', `event body exceeds ${EVENT_MAX_BYTES} bytes`)
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch (err) {
    throw new HttpError(400, 'malformed_body', `event body is not JSON: ${(err as Error).message}`)
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new HttpError(400, 'malformed_body', 'event body must be a JSON object')
  const o = v as Record<string, unknown>
  const bad: string[] = []
  const str = (name: string, max: number, required: boolean, shape?: RegExp): string | null => {
    const x = o[name]
    if (x === undefined || x === null || x === '') {
      if (required) bad.push(name)
      return null
    }
    if (typeof x !== 'string' || x.length > max || (shape && !shape.test(x))) {
      bad.push(name)
      return null
    }
    return x
  }
  const conversion = kind === 'conversion'
  const body: EventBody = {
    merchant: str('merchant', 64, true) ?? '',
    sessionId: str('session_id', 64, true, SESSION_ID) ?? '',
    clickToken: str('click_id', 256, false),
    url: str('url', 2048, false),
    referrer: str('referrer', 2048, false),
    orderId: str('order_id', 255, conversion),
    revenue: str('revenue', 24, conversion, DECIMAL),
    currency: str('currency', 3, conversion, CURRENCY),
  }
  if (bad.length)
    throw new HttpError(422, 'invalid_fields', `missing or invalid: ${bad.join(', ')}`, { fields: bad })
  return body
}

// Scored like clicks (redirect/click-encoder.ts): no user agent 90, a known bot's 95, and a flood from one address
// adds 40. Snippet traffic is a few events per page, so the flood bar is per minute.
const FLOOD_EVENTS_PER_MINUTE = 120

export function createEventScorer() {
  const recent = new LRUCache<string, { start: number; n: number }>({ max: 100_000 })
  return (userAgent: string | null, ipHash: string | null, now: number): number => {
    let score = !userAgent ? 90 : isbot(userAgent) ? 95 : 0
    if (ipHash) {
      const r = recent.get(ipHash)
      if (!r || now - r.start > 60_000) recent.set(ipHash, { start: now, n: 1 })
      else if (++r.n > FLOOD_EVENTS_PER_MINUTE) score = Math.min(100, score + 40)
    }
    return score
  }
}

/** The click id's verdict from its signature alone; expiry is judged against its program when stored. */
export function judgeClick(token: string | null, keys: readonly ClickIdKey[], now: number) {
  if (!token) return { status: 'missing', clickId: null, clickedAt: null } as const
  const v = verifyClickId(token, keys, { now })
  if (!v.ok) return { status: v.problem, clickId: null, clickedAt: null } as const
  return { status: 'valid', clickId: v.value.clickId, clickedAt: v.value.issuedAt } as const
}

export function pendingEvent(p: {
  kind: EventKind
  merchantId: string
  origin: string
  body: EventBody
  click: ReturnType<typeof judgeClick>
  userAgent: string | null
  ipHash: string | null
  botScore: number
  now: number
  conversionId: string | null
}): PendingEvent {
  return {
    id: Bun.randomUUIDv7('hex', p.now),
    received_at: new Date(p.now).toISOString(),
    kind: p.kind,
    merchant_id: p.merchantId,
    origin: p.origin,
    session_id: p.body.sessionId,
    click_token: p.body.clickToken,
    click_id: p.click.clickId,
    clicked_at: p.click.clickedAt?.toISOString() ?? null,
    click_status: p.click.status,
    url: p.body.url,
    referrer: p.body.referrer,
    user_agent: p.userAgent ? p.userAgent.slice(0, 512) : null,
    ip_hash: p.ipHash,
    bot_score: p.botScore,
    order_id: p.body.orderId,
    revenue: p.body.revenue,
    currency: p.body.currency,
    conversion_id: p.conversionId,
  }
}
