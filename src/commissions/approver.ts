import type { Db } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { approveDue } from './service.ts'

/**
 * Approves pending commissions whose hold has passed. Every host may run it: the UPDATE only moves rows still
 * pending, so two hosts approving at once change each row once. stop() waits for a pass in progress.
 */
export function commissionApprover(opts: { db: Db; log: Logger; intervalMs: number }): Worker {
  let timer: ReturnType<typeof setInterval> | undefined
  let running: Promise<void> = Promise.resolve()
  const tick = () => {
    running = running
      .then(() => approveDue(opts.db, new Date()))
      .then((n) => {
        if (n > 0) opts.log.info({ approved: n }, 'commissions approved after their hold')
      })
      .catch((err) => opts.log.error({ err }, 'commission approval pass failed; retrying next interval'))
  }
  return {
    name: 'commission-approver',
    start() {
      tick()
      timer = setInterval(tick, opts.intervalMs)
      timer.unref?.()
    },
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
