import type { Store } from '../db/store.ts'
import { HttpError, notFound } from '../shared/errors.ts'
import { mintApiKey } from './principal.ts'

export interface UserInput {
  email: string
  role: 'admin' | 'merchant' | 'influencer'
  merchantId?: string
  influencerId?: string
  orgId?: string
}

export interface UserView {
  id: string
  orgId: string
  email: string
  role: string
  merchantId: string | null
  influencerId: string | null
  createdAt: string
}

const USER_COLUMNS = `id, org_id as "orgId", email, role, merchant_id as "merchantId",
  influencer_id as "influencerId", to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"`

/** A user belongs to the organisation of the merchant or influencer it acts for; an admin names its own. */
export async function createUser(store: Store, input: UserInput): Promise<UserView> {
  const scope =
    input.role === 'merchant' ? input.merchantId : input.role === 'influencer' ? input.influencerId : null
  if (input.role !== 'admin' && !scope)
    throw new HttpError(422, 'scope_required', `a ${input.role} user needs ${input.role}Id`)
  const table = input.role === 'merchant' ? 'merchants' : 'influencers'
  const [owner] = scope
    ? await store.query<{ org_id: string }>(`select org_id from ${table} where id = $1`, [scope])
    : input.orgId
      ? await store.query<{ org_id: string }>('select id as org_id from organisations where id = $1', [
          input.orgId,
        ])
      : []
  if (!owner) throw notFound(scope ? input.role : 'organisation (orgId)')
  const email = input.email.toLowerCase()
  const taken = await store.query('select 1 from users where email = $1', [email])
  if (taken.length) throw new HttpError(409, 'email_taken', 'a user with this email exists')
  // A concurrent twin still hits users_email_unique: the app's error handler turns that into a 409 as well.
  const [row] = await store.query<UserView>(
    `insert into users (id, org_id, email, role, merchant_id, influencer_id)
       values ($1, $2, $3, $4, $5, $6) returning ${USER_COLUMNS}`,
    [
      Bun.randomUUIDv7(),
      owner.org_id,
      email,
      input.role,
      input.role === 'merchant' ? scope : null,
      input.role === 'influencer' ? scope : null,
    ],
  )
  return row!
}

export interface CreatedKey {
  id: string
  userId: string
  name: string
  prefix: string
  /** The key itself: shown in this response only, stored as its SHA-256. */
  key: string
  expiresAt: string | null
}

export async function createApiKey(
  store: Store,
  userId: string,
  input: { name: string; expiresAt?: string },
): Promise<CreatedKey> {
  const [user] = await store.query<{ org_id: string }>('select org_id from users where id = $1', [userId])
  if (!user) throw notFound('user')
  const minted = mintApiKey()
  const id = Bun.randomUUIDv7()
  await store.query(
    `insert into api_keys (id, org_id, user_id, name, prefix, key_hash, expires_at) values ($1, $2, $3, $4, $5, $6, $7)`,
    [id, user.org_id, userId, input.name, minted.prefix, minted.hash, input.expiresAt ?? null],
  )
  return {
    id,
    userId,
    name: input.name,
    prefix: minted.prefix,
    key: minted.key,
    expiresAt: input.expiresAt ?? null,
  }
}

export async function revokeApiKey(store: Store, id: string): Promise<void> {
  const rows = await store.query(
    'update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 returning id',
    [id],
  )
  if (!rows.length) throw notFound('API key')
}
