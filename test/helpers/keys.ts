import { testAdminKey } from './app.ts'

interface Handles {
  handle(req: Request): Response | Promise<Response>
}

export type KeyOwner = { merchantId: string } | { influencerId: string } | { admin: true; orgId: string }

/** Creates a user for the owner and an API key for it through the admin API; returns the key (sk_live_…). */
export async function issueKey(app: Handles, owner: KeyOwner, email = `${crypto.randomUUID()}@keys.test`) {
  const role = 'merchantId' in owner ? 'merchant' : 'influencerId' in owner ? 'influencer' : 'admin'
  const body = 'admin' in owner ? { email, role, orgId: owner.orgId } : { email, role, ...owner }
  const user = await post(app, '/api/v1/users', body)
  const key = await post(app, `/api/v1/users/${user.id}/api-keys`, { name: `${role} test key` })
  return { key: key.key as string, keyId: key.id as string, userId: user.id as string }
}

async function post(app: Handles, path: string, body: unknown) {
  const res = await app.handle(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )
  const json = (await res.json()) as any
  if (res.status !== 201) throw new Error(`${path} → ${res.status} ${JSON.stringify(json)}`)
  return json
}
