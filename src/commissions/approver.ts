import type { Db } from '../db/store.ts'
import { intervalWorker, type Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { approveDue } from './service.ts'

/**
 * Approves pending commissions whose hold has passed, except those held for fraud review (held_at), which wait
 * for a reviewer. Every host may run it: the UPDATE only moves rows still pending, so two hosts approving at
 * once change each row once.
 */
export function commissionApprover(opts: { db: Db; log: Logger; intervalMs: number }): Worker {
  return intervalWorker({
    name: 'commission-approver',
    intervalMs: opts.intervalMs,
    log: opts.log,
    pass: async () => {
      const n = await approveDue(opts.db, new Date())
      if (n > 0) opts.log.info({ approved: n }, 'commissions approved after their hold')
    },
  })
}
