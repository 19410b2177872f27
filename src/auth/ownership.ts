import { type Column, type SQL, sql } from 'drizzle-orm'
import { programs } from '../db/schema/index.ts'
import { HttpError } from '../shared/errors.ts'
import { type Principal, requireScope, type Scope } from './principal.ts'

// Tenant rules shared by the /api features. Two answers, never mixed up:
//  - 404, with the very body a missing id gets, when the caller may not see the row: ids of other tenants are
//    never confirmed;
//  - 403 only where nothing is confirmed by it: a key lacking a scope, or a caller whose kind may never do this
//    (no id involved, or the row is one the caller can already see).

type Ref = Column | SQL

/**
 * The rows, tied to a program and an influencer, that the principal may see, as a WHERE part (undefined: all of
 * them). A merchant sees rows of its own programs; an influencer only its own rows.
 */
export function ownedRows(p: Principal, cols: { programId: Ref; influencerId: Ref }): SQL | undefined {
  if (p.kind === 'merchant')
    return sql`${cols.programId} in (select ${programs.id} from ${programs} where ${programs.merchantId} = ${p.merchantId})`
  if (p.kind === 'influencer') return sql`${cols.influencerId} = ${p.influencerId}`
  return undefined
}

/**
 * Rows that belong to one influencer and span merchants (payouts, ledger balances): the influencer itself and the
 * operator see them; a merchant sees none, since one payout or balance mixes several merchants' programs.
 */
export function influencerRows(p: Principal, influencerId: Ref): SQL | undefined {
  if (p.kind === 'merchant') return sql`false`
  if (p.kind === 'influencer') return sql`${influencerId} = ${p.influencerId}`
  return undefined
}

/** Whether the principal may see (and manage) this merchant's own settings: secrets, import mappings. */
export const seesMerchant = (p: Principal, merchantId: string) =>
  p.kind === 'admin' || (p.kind === 'merchant' && p.merchantId === merchantId)

/** Whether the principal may see this influencer's cross-merchant figures (payouts, balances). */
export const seesInfluencer = (p: Principal, influencerId: string) =>
  p.kind === 'admin' || (p.kind === 'influencer' && p.influencerId === influencerId.toLowerCase())

/**
 * Refuses a caller whose kind may never do this. Call it only after the row (if any) was found visible, so a
 * foreign id has already answered 404.
 */
export function requireKind(p: Principal, ...kinds: readonly Principal['kind'][]): void {
  if (!kinds.includes(p.kind))
    throw new HttpError(403, 'forbidden', `this route needs a ${kinds.join(' or ')} key`)
}

/**
 * Route options declaring the scope a route needs: checked before the handler (403 insufficient_scope, the same
 * for every id, so it confirms nothing) and named in the OpenAPI description.
 */
export function needs<D extends { description?: string }>(scope: Scope, detail: D) {
  return {
    beforeHandle: ({ principal }: { principal: Principal }) => requireScope(principal, scope),
    detail: { ...detail, description: `${detail.description ?? ''} Scope: \`${scope}\`.`.trim() },
  }
}
