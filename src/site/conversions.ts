import { and, eq, isNull, sql } from 'drizzle-orm'
import { settleConversion } from '../attribution/service.ts'
import { conversions } from '../db/schema/index.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { type NormalizedEvent, unstorableFields, type WebhookIntake } from '../webhooks/service.ts'
import type { EventBody } from './receive.ts'

// skq('conversion', …) joins the webhooks' exactly-once pipeline: the order is one conversion whichever of the
// snippet and the shop's webhook reports it first (conversions are unique per merchant + kind + order id).

export interface SnippetConversion {
  readonly conversionId: string
  readonly duplicate: boolean
}

/**
 * Only a click id our keys sign sends a conversion into the pipeline: anyone can run skq() in a console, so an
 * order without that evidence stays an unbilled site event and cannot take the order's identity (and so the
 * webhook's richer report of it) for nothing.
 */
export async function recordSnippetConversion(
  d: { store: Store; intake: WebhookIntake },
  p: {
    merchantId: string
    body: EventBody
    /** The token as sent, and the uuid its signature vouches for. */
    click: { token: string; id: string; at: Date }
    ipHash: string | null
    rawBody: string
    headers: Headers
    now: number
  },
): Promise<SnippetConversion> {
  const b = p.body
  const event: NormalizedEvent = {
    externalEventId: `order:${b.orderId}`,
    kind: 'sale',
    orderId: b.orderId as string,
    subEventId: null,
    occurredAt: new Date(p.now),
    currency: b.currency as string,
    subtotal: b.revenue,
    discount: null,
    tax: null,
    shipping: null,
    total: b.revenue as string,
    cumulativeRefunded: null,
    lineItems: [],
    clickId: p.click.token,
    subId: null,
    couponCode: null,
    customerEmailHash: null,
    customerIp: null,
    test: false,
  }
  const unstorable = unstorableFields(event)
  if (unstorable.length)
    throw new HttpError(422, 'invalid_fields', `invalid fields: ${unstorable.join(', ')}`, {
      fields: unstorable,
    })
  const result = await d.intake.submit({
    source: 'snippet',
    merchantId: p.merchantId,
    externalId: event.externalEventId,
    headers: pick(p.headers, ['origin', 'user-agent', 'content-type', 'referer']),
    rawBody: p.rawBody,
    events: [event],
  })
  const conversionId = result.conversionIds[0]
  if (!conversionId) throw new Error('snippet conversion stored no conversion')
  if (result.created === 0)
    await lendClickId(
      d.store,
      { conversionId, merchantId: p.merchantId, orderId: event.orderId },
      p.click,
      p.ipHash,
    )
  return { conversionId, duplicate: result.duplicate || result.created === 0 }
}

/**
 * The shop's webhook got here first but named no influencer (no click id, coupon or sub id of ours): the snippet's
 * click id is the evidence it lacked, so the conversion is settled with it, once. An order already attributed
 * keeps its attribution. Only from the address that clicked: otherwise anyone holding one genuine click id could
 * claim every unattributed order whose id they can guess.
 */
async function lendClickId(
  store: Store,
  order: { conversionId: string; merchantId: string; orderId: string },
  click: { id: string; at: Date },
  ipHash: string | null,
): Promise<void> {
  if (!ipHash) return
  const same = await store.query<{ ok: boolean }>(
    'select true as ok from clicks where id = $1 and clicked_at = $2 and ip_hash = $3',
    [click.id, click.at.toISOString(), ipHash],
  )
  if (!same.length) return
  const clickId = click.id
  await store.db.transaction(async (tx) => {
    // The intake's lock for this order (webhooks/conversions.ts): a refund being stored meanwhile sees the sale
    // settled or not, never half.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`order:${order.merchantId}:${order.orderId}`}))`,
    )
    const [row] = await tx
      .update(conversions)
      .set({ clickId, clickIdProblem: null })
      .where(
        and(
          eq(conversions.id, order.conversionId),
          eq(conversions.kind, 'sale'),
          isNull(conversions.clickId),
          isNull(conversions.programId),
        ),
      )
      .returning()
    if (row?.clickId) await settleConversion(tx, row)
  })
}

function pick(h: Headers, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const n of names) {
    const v = h.get(n)
    if (v !== null) out[n] = v
  }
  return out
}
