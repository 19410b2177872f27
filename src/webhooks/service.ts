// What other features may use of the conversion intake (ARCHITECTURE: a feature imports another's service.ts).
export type { NormalizedEvent } from './adapter.ts'
export type { WebhookIntake } from './intake.ts'
export type { Delivery, IntakeResult } from './pipeline.ts'
export { isTransientDbError } from './failures.ts'
export { storableText, unstorableFields } from './storable.ts'
export { merchantIdOf } from './secrets.ts'
