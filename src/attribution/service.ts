import { eq } from 'drizzle-orm'
import { accrueCommissions, programOf, reverseForRefund } from '../commissions/service.ts'
import { type Commission, type Conversion, conversions } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { conversionCreated, emitEvent } from '../events/emit.ts'
import { screenRefund, screenSettlement } from '../fraud/service.ts'
import { attributeConversion } from './attribute.ts'
import { settleClickConversion } from './click-accruals.ts'

export { attributeConversion } from './attribute.ts'
export { accrueClicks, clickAccrualWorker } from './click-accruals.ts'

/**
 * What the caller knows that saves queries: `fresh` (stored by this transaction, so nothing is attributed yet)
 * and `heldRefunds` (false: no refund of this sale arrived before it).
 */
export interface SettleOptions {
  readonly fresh?: boolean
  readonly heldRefunds?: boolean
}

/**
 * Everything a stored conversion sets in motion, inside the caller's transaction: attribution, commissions
 * and their ledger entries for a sale, lead or renewal; reversals for a refund whose sale is known (a refund
 * arriving first is applied when its sale is settled). Safe to call again for the same conversion. A fresh
 * conversion that found a program emits conversion.created (in this transaction).
 */
export async function settleConversion(
  tx: Db,
  conversion: string | Conversion,
  opts: SettleOptions = {},
): Promise<Commission[]> {
  const conv =
    typeof conversion === 'string'
      ? (await tx.select().from(conversions).where(eq(conversions.id, conversion)))[0]
      : conversion
  if (!conv) throw new Error(`conversion ${String(conversion)} not found`)
  if (conv.kind === 'refund') {
    if (!conv.parentConversionId) return []
    const [sale] = await tx.select().from(conversions).where(eq(conversions.id, conv.parentConversionId))
    const program = sale?.programId ? await programOf(tx, sale.programId) : undefined
    if (sale && program) await reverseForRefund(tx, conv, sale, program)
    // Fraud: the influencer's refund rate with this merchant; over it, their pending commissions are held.
    if (sale && program) await screenRefund(tx, conv, sale)
    return []
  }
  if (conv.kind === 'click') return settleClickConversion(tx, conv)
  const attributed = await attributeConversion(tx, conv, opts)
  if (!attributed) return []
  const earned = await accrueCommissions(tx, conv, attributed, opts)
  // Fraud rules hold (never drop) what was just earned, in this transaction.
  await screenSettlement(tx, conv, attributed.rows, earned)
  // Announced once, by the transaction that stored it; re-settling (recompute, replays) is not news.
  if (opts.fresh) await emitEvent(tx, conversionCreated(conv, attributed.program.id, attributed.rows, earned))
  return earned
}
