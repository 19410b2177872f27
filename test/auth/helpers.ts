import { testAdminKey } from '../helpers/app.ts'
import type { KeyOwner } from '../helpers/keys.ts'

interface Handles {
  handle(req: Request): Response | Promise<Response>
}

export interface Answer {
  status: number
  body: any
  headers: Headers
}

/** JSON calls against an app; `auth` is sent as a Bearer token. */
export const caller =
  (app: Handles) =>
  async (
    method: string,
    path: string,
    opts: { auth?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.auth) headers.authorization = `Bearer ${opts.auth}`
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    const res = await app.handle(
      new Request(`http://localhost${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      }),
    )
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers }
  }

/** A user created through the admin API with a password set by the admin. */
export async function userWithPassword(app: Handles, owner: KeyOwner, password: string) {
  const call = caller(app)
  const email = `${crypto.randomUUID()}@login.test`
  const role = 'merchantId' in owner ? 'merchant' : 'influencerId' in owner ? 'influencer' : 'admin'
  const body = 'admin' in owner ? { email, role, orgId: owner.orgId } : { email, role, ...owner }
  const user = await call('POST', '/api/v1/users', { auth: testAdminKey, body })
  if (user.status !== 201) throw new Error(`create user → ${user.status} ${JSON.stringify(user.body)}`)
  const set = await call('POST', `/api/v1/users/${user.body.id}/password`, {
    auth: testAdminKey,
    body: { password },
  })
  if (set.status !== 204) throw new Error(`set password → ${set.status} ${JSON.stringify(set.body)}`)
  return { userId: user.body.id as string, email }
}

/** Logs in; throws unless it worked. */
export async function loginAs(app: Handles, email: string, password: string) {
  const r = await caller(app)('POST', '/api/v1/auth/login', { body: { email, password } })
  if (r.status !== 200) throw new Error(`login → ${r.status} ${JSON.stringify(r.body)}`)
  return r.body as { accessToken: string; refreshToken: string; expiresIn: number; tokenType: string }
}

/** The same calls over HTTP against a listening server (so the peer address is real). */
export const overHttp = (base: string): Handles => ({
  handle: (r: Request) => {
    const u = new URL(r.url)
    return fetch(new Request(`${base}${u.pathname}${u.search}`, r))
  },
})
