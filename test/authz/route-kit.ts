import type { Scope } from '../../src/auth/principal.ts'
import type { Ids, Probe } from './tenants.ts'

// The shape of the IDOR suite's table (routes.ts) and the helpers its rows are written with.

export type As = 'merchant' | 'influencer' | 'admin'

export interface Route {
  /** Aimed at tenant A's resource. Called again with missing() ids for the answer a foreign key must get. */
  call: (ids: Ids) => Probe
  /** The status B's merchant and influencer keys get (404 / 422 / 403), identical to the missing ids' answer. */
  foreign: number | { merchant: number; influencer: number }
  /** The scope the route declares; null where none applies (the signed intake). */
  scope: Scope | null
  /** A's own keys, called in table order after every foreign probe; `sees`: an id the body must contain. */
  own: { as: As; status: number; sees?: keyof Ids }[]
  /** Authenticated by a signature or credentials in the body, not a key: keys change nothing (a refused attempt may
   * still be audited). */
  public?: true
}

let n = 0
export const uniq = () => `${Date.now().toString(36)}${++n}`
export const link = (i: Ids) => ({
  programId: i.programId,
  influencerId: i.influencerId,
  destinationUrl: 'https://glowlabs.example/idor',
  asset: `idor-${uniq()}`,
})
const stats = (path: string) => (i: Ids) => ({
  method: 'GET',
  path: `/api/v1/stats/${path}${path.includes('?') ? '' : '?'}linkId=${i.linkId}`,
})
export const statsRoute = (path: string): Route => ({
  call: stats(path),
  foreign: 404,
  scope: 'stats:read',
  own: [{ as: 'merchant', status: 200 }],
})
export const get = (path: (i: Ids) => string) => (i: Ids) => ({ method: 'GET', path: path(i) })
export const post = (path: (i: Ids) => string, body?: (i: Ids) => unknown) => (i: Ids) => ({
  method: 'POST',
  path: path(i),
  body: body?.(i),
})
