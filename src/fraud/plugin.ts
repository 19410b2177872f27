import { Elysia } from 'elysia'
import { adminErrors, ApiError, principalAuth, scopedDetail } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Store } from '../db/store.ts'
import { DecisionInput, FlagBody, FlagList, FlagParams, FlagQuery } from './model.ts'
import { clearFlag, getFlag, listFlags, rejectFlag } from './service.ts'

const errors = { ...adminErrors, 403: ApiError }
const detail = (summary: string, description: string, scope: string) => ({
  ...scopedDetail('fraud')(summary, description),
  description:
    `${description} An admin key sees every flag, a merchant key its programs' flags (others' ids answer 404); ` +
    `influencer keys get 403. Scope: \`${scope}\`.`,
})

/** The fraud review queue: flags raised at settlement and on refunds, and the decisions on them. */
export const fraudPlugin = ({ store, authenticate }: { store: Store; authenticate: Authenticator }) => {
  const db = store.db
  return new Elysia({ name: 'fraud', prefix: '/api/v1/fraud' })
    .use(principalAuth(authenticate))
    .get('/flags', ({ principal, query }) => listFlags(db, principal, query), {
      query: FlagQuery,
      response: { 200: FlagList, ...errors },
      detail: detail(
        'List fraud flags',
        'Newest first; filter by status (open, resolved), influencer and rule. Each flag holds its commission ' +
          '(never approved nor paid) until a reviewer clears or rejects it.',
        'commissions:read',
      ),
    })
    .get('/flags/:id', ({ principal, params }) => getFlag(db, principal, params.id), {
      params: FlagParams,
      response: { 200: FlagBody, ...errors },
      detail: detail('Get a fraud flag', "With its commission's status and hold.", 'commissions:read'),
    })
    .post(
      '/flags/:id/clear',
      ({ principal, clientIp, params, body }) =>
        clearFlag(db, { principal, ip: clientIp }, params.id, body.note),
      {
        params: FlagParams,
        body: DecisionInput,
        response: { 200: FlagBody, ...errors },
        detail: detail(
          'Clear a flag (not fraud)',
          'Releases the commission once no other open flag holds it; it is then approved after its hold like ' +
            'any other. 409 if the flag is already resolved. Audited.',
          'commissions:write',
        ),
      },
    )
    .post(
      '/flags/:id/reject',
      ({ principal, clientIp, params, body }) =>
        rejectFlag(db, { principal, ip: clientIp }, params.id, body.note),
      {
        params: FlagParams,
        body: DecisionInput,
        response: { 200: FlagBody, ...errors },
        detail: detail(
          'Reject a flag (fraud)',
          "Reverses what is left of the commission with reason 'fraud' (a clawback if already paid) and " +
            'resolves its other open flags with it. 409 if the flag is already resolved. Audited.',
          'commissions:write',
        ),
      },
    )
}
