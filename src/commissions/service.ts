import { and, eq, isNull, lte } from 'drizzle-orm'
import { commissions, programs } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { commissionApproved, emitEvents, merchantsOf } from '../events/emit.ts'

export { accrueCommissions, reverseForRefund } from './accrual.ts'
export {
  approveCommission,
  balancesOf,
  explainCommission,
  getCommission,
  listCommissions,
  reverseCommission,
} from './review.ts'

/**
 * Pending commissions whose hold has passed become approved (the approver worker calls this), each announced
 * as commission.approved in the same transaction. Commissions held for fraud review (held_at) are skipped.
 */
export async function approveDue(db: Db, now: Date): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(commissions)
      .set({ status: 'approved', approvedAt: now })
      // A commission held by a fraud flag waits for a reviewer, however long ago its hold ended.
      .where(
        and(eq(commissions.status, 'pending'), lte(commissions.holdUntil, now), isNull(commissions.heldAt)),
      )
      .returning()
    const merchantOf = await merchantsOf(
      tx,
      rows.map((c) => c.programId),
    )
    await emitEvents(
      tx,
      rows.map((c) => commissionApproved(c, merchantOf(c.programId))),
    )
    return rows.length
  })
}

export async function programOf(tx: Db, id: string) {
  const [row] = await tx.select().from(programs).where(eq(programs.id, id))
  return row
}
