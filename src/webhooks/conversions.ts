import { and, eq, isNull, sql } from 'drizzle-orm'
import type { Config } from '../config.ts'
import { type Conversion, conversions } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { verifyClickId } from '../shared/click-id.ts'
import { hashIp } from '../shared/ip-hash.ts'
import type { EventSource, NormalizedEvent } from './adapter.ts'
import { compareDecimals, subtractDecimals, sumDecimals } from './networks/amounts.ts'

// One business event → one conversions row, whichever delivery, topic or channel reports it.

/** What storeConversion did: `row` is set when this call stored the conversion (and so must settle it). */
export interface StoredConversion {
  readonly id: string
  readonly created: boolean
  readonly row?: Conversion
  /** A new sale adopted refunds that arrived before it (they are reversed when the sale is settled). */
  readonly adoptedRefunds?: boolean
}

/** Inserts the conversion unless this order/event already has one (another topic, channel or retry). */
export async function storeConversion(
  tx: Db,
  d: { config: Config; source: EventSource },
  merchantId: string,
  webhookEventId: string,
  e: NormalizedEvent,
): Promise<StoredConversion> {
  // One order at a time, across hosts: a sale and its refund stored concurrently would each look for the other
  // before either committed, and the refund would never be joined to its sale (nor two refunds of a running
  // total tell their cents apart). Held to the end of the transaction.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`order:${merchantId}:${e.orderId}`}))`)
  const click = e.clickId ? verifyClickId(e.clickId, d.config.secrets.clickIdKeys) : undefined
  const total =
    e.cumulativeRefunded === null
      ? e.total
      : await refundDelta(tx, merchantId, e.orderId, e.cumulativeRefunded)
  if (total === null) return { id: (await findConversion(tx, merchantId, e))?.id ?? '', created: false }
  // A refund points at its sale when the sale is already here (looked up inside the insert: one round trip).
  const parent =
    e.kind === 'refund'
      ? sql`(select s.id from ${conversions} s where s.merchant_id = ${merchantId} and s.kind = 'sale'
              and s.external_order_id = ${e.orderId})`
      : null
  const [row] = await tx
    .insert(conversions)
    .values({
      merchantId,
      webhookEventId,
      source: d.source,
      externalOrderId: e.orderId,
      externalEventId: e.kind === 'refund' || e.kind === 'subscription_renewal' ? e.subEventId : null,
      kind: e.kind,
      occurredAt: e.occurredAt,
      currency: e.currency,
      subtotal: e.subtotal,
      discount: e.discount,
      tax: e.tax,
      shipping: e.shipping,
      total,
      lineItems: e.lineItems.map((l) => ({
        ...(l.sku ? { sku: l.sku } : {}),
        quantity: l.quantity,
        unitPrice: l.unitPrice,
      })),
      // Only a click id our keys verify becomes evidence; a forged one is recorded with why, never billed.
      clickId: click?.ok ? click.value.clickId : null,
      clickIdProblem: click && !click.ok ? click.problem : null,
      isTest: e.test,
      subId: e.subId,
      couponCode: e.couponCode,
      customerEmailHash: e.customerEmailHash,
      ipHash: e.customerIp === null ? null : hashIp(d.config.secrets.ipHashSalt, e.customerIp),
      parentConversionId: parent,
    })
    .onConflictDoNothing()
    .returning()
  if (row) {
    // A sale arriving after its refunds adopts them (webhooks race; refunds are held until the sale exists).
    const adopted =
      e.kind === 'sale'
        ? await tx
            .update(conversions)
            .set({ parentConversionId: row.id })
            .where(
              and(
                eq(conversions.merchantId, merchantId),
                eq(conversions.kind, 'refund'),
                eq(conversions.externalOrderId, e.orderId),
                isNull(conversions.parentConversionId),
              ),
            )
            .returning({ id: conversions.id })
        : []
    return { id: row.id, created: true, row, adoptedRefunds: adopted.length > 0 }
  }
  const existing = await findConversion(tx, merchantId, e)
  if (!existing) throw new Error('conversion conflict without a row')
  return { id: existing.id, created: false }
}

async function findConversion(tx: Db, merchantId: string, e: NormalizedEvent) {
  const [row] = await tx
    .select({ id: conversions.id })
    .from(conversions)
    .where(
      and(
        eq(conversions.merchantId, merchantId),
        eq(conversions.kind, e.kind),
        eq(conversions.externalOrderId, e.orderId),
        e.kind === 'refund' || e.kind === 'subscription_renewal'
          ? eq(conversions.externalEventId, e.subEventId ?? '')
          : sql`${conversions.externalEventId} is null`,
      ),
    )
  return row
}

/**
 * Stripe reports refunds as a running total: this refund is what the total adds to the refunds already
 * stored for the order. The caller holds the order's lock, so two refund events racing cannot both claim the same cents.
 * Null when nothing new was refunded (a replay of an older total).
 */
async function refundDelta(
  tx: Db,
  merchantId: string,
  orderId: string,
  cumulative: string,
): Promise<string | null> {
  const rows = await tx
    .select({ total: conversions.total })
    .from(conversions)
    .where(
      and(
        eq(conversions.merchantId, merchantId),
        eq(conversions.kind, 'refund'),
        eq(conversions.externalOrderId, orderId),
      ),
    )
  const delta = subtractDecimals(cumulative, sumDecimals(rows.map((r) => r.total)))
  return compareDecimals(delta, '0') > 0 ? delta : null
}
