// What other features and the plugin use of fraud/: screening at settlement (attribution calls it in the
// conversion's transaction) and the review queue.
export { screenRefund, screenSettlement } from './screen.ts'
export { type Actor, clearFlag, type FlagView, getFlag, listFlags, rejectFlag } from './review.ts'
export { FRAUD_RULES, type FraudHit, type FraudRule, THRESHOLDS } from './rules.ts'
