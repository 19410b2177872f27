import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import { createIpResolver } from '../shared/client-ip.ts'
import { HttpError } from '../shared/errors.ts'
import { hashIp } from '../shared/ip-hash.ts'
import type { Logger } from '../shared/logger.ts'
import { isTransientDbError, storableText, type WebhookIntake } from '../webhooks/service.ts'
import { recordSnippetConversion } from './conversions.ts'
import { createEventFlusher } from './event-flusher.ts'
import { createOriginRegistry } from './origins.ts'
import {
  createEventScorer,
  EVENT_KINDS,
  type EventKind,
  judgeClick,
  parseEventBody,
  pendingEvent,
} from './receive.ts'
import { createSnippet } from './snippet.ts'

export { listOrigins, replaceOrigins } from './origins.ts'

const DAY_MS = 86_400_000

export interface EventAccepted {
  readonly accepted: true
  /** Until when the snippet should keep the click id (its program's window), when the id is genuine. */
  readonly click_expires_at: string | null
  readonly conversion_id?: string
  readonly duplicate?: boolean
}

/**
 * The on-site snippet's server side: /sk.js, and the events it sends. Events are refused (403) unless they come
 * from an origin the merchant registered; accepted ones are buffered and stored in batches (event-flusher.ts),
 * except a conversion, which goes through the exactly-once pipeline before it is answered.
 */
export function createSite(d: { store: Store; config: Config; log: Logger; intake: WebhookIntake }) {
  const flusher = createEventFlusher({ store: d.store, log: d.log })
  const origins = createOriginRegistry(d.store)
  const score = createEventScorer()
  const ips = createIpResolver(d.config.trustedProxies)
  const keys = d.config.secrets.clickIdKeys
  const salt = d.config.secrets.ipHashSalt

  async function receive(input: {
    kind: string
    rawBody: string
    headers: Headers
    peer: string | undefined
  }): Promise<{ origin: string; body: EventAccepted }> {
    if (!(EVENT_KINDS as readonly string[]).includes(input.kind))
      throw new HttpError(
        404,
        'unknown_event_kind',
        `no event kind "${input.kind}" (session, pageview, conversion)`,
      )
    const kind = input.kind as EventKind
    const origin = input.headers.get('origin')
    if (!origin || origin === 'null')
      throw new HttpError(
        403,
        'origin_required',
        'events are accepted from web pages only (an Origin header)',
      )
    const body = parseEventBody(kind, input.rawBody)
    const texts = [body.merchant, body.clickToken, body.url, body.referrer, body.orderId]
    if (!storableText(input.rawBody) || texts.some((t) => t !== null && !storableText(t)))
      throw new HttpError(400, 'malformed_body', 'the body contains a NUL character or a lone surrogate')
    const merchant = await origins.merchant(body.merchant)
    // An unknown merchant answers like a foreign origin: a page cannot probe which slugs exist.
    if (!merchant || !merchant.origins.has(origin))
      throw new HttpError(
        403,
        'origin_not_registered',
        `origin ${origin} is not registered for merchant "${body.merchant}"`,
      )
    const now = Date.now()
    const click = judgeClick(body.clickToken, keys, now)
    const ip = ips.clientIp(input.peer, input.headers.get('x-forwarded-for'))
    const ipHash = ip ? hashIp(salt, ip) : null
    const userAgent = input.headers.get('user-agent')
    let conversion: { conversionId: string; duplicate: boolean } | undefined
    if (kind === 'conversion' && click.status === 'valid' && body.clickToken) {
      try {
        conversion = await recordSnippetConversion(
          { store: d.store, intake: d.intake },
          {
            merchantId: merchant.id,
            body,
            click: { token: body.clickToken, id: click.clickId, at: click.clickedAt },
            ipHash,
            rawBody: input.rawBody,
            headers: input.headers,
            now,
          },
        )
      } catch (err) {
        if (err instanceof HttpError) throw err
        if (!isTransientDbError(err)) d.log.error({ err }, 'snippet conversion failed')
        throw new HttpError(503, 'unavailable', 'could not store the conversion; retry later')
      }
    }
    const event = pendingEvent({
      kind,
      merchantId: merchant.id,
      origin,
      body,
      click,
      userAgent,
      ipHash,
      botScore: score(userAgent, ipHash, now),
      now,
      conversionId: conversion?.conversionId ?? null,
    })
    if (!flusher.push(event))
      throw new HttpError(503, 'unavailable', 'too many events waiting to be stored; retry later')
    const expires =
      click.status === 'valid' && merchant.maxWindowDays > 0
        ? new Date(click.clickedAt.getTime() + merchant.maxWindowDays * DAY_MS)
        : null
    return {
      origin,
      body: {
        accepted: true,
        click_expires_at: expires && expires.getTime() > now ? expires.toISOString() : null,
        ...(conversion ? { conversion_id: conversion.conversionId, duplicate: conversion.duplicate } : {}),
      },
    }
  }

  return {
    snippet: createSnippet(d.config.links.clickIdParam),
    receive,
    flusher,
    origins,
    workers: [flusher.worker],
  }
}

export type Site = ReturnType<typeof createSite>
