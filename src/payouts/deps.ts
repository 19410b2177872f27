import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import type { Logger } from '../shared/logger.ts'
import { createFeeCalculator, createProviders } from './providers/index.ts'
import type { PayoutDeps } from './run.ts'

/** The payout machinery as configured: the providers with credentials, and the processing-fee table. */
export function payoutDeps(d: { config: Config; store: Store; log: Logger }): PayoutDeps {
  return {
    db: d.store.db,
    log: d.log,
    providers: createProviders(d.config),
    fee: createFeeCalculator(d.config),
    singleProcess: d.store.kind === 'pglite',
  }
}
