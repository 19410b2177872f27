import { sql } from 'drizzle-orm'
import { recordAudit } from '../audit/service.ts'
import { rawRows } from '../db/rows.ts'
import type { Db, Store } from '../db/store.ts'
import { HttpError, notFound } from '../shared/errors.ts'
import { mintApiKey, type Principal, type Scope } from './principal.ts'

/** Who asked, for the audit trail. */
export interface Actor {
  readonly principal: Principal
  readonly ip: string | null
}

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

const USER_COLUMNS = sql.raw(`id, org_id as "orgId", email, role, merchant_id as "merchantId",
  influencer_id as "influencerId", to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"`)

const one = async <T>(tx: Db, q: ReturnType<typeof sql>) => (await rawRows<T>(tx, q))[0]

/** A user belongs to the organisation of the merchant or influencer it acts for; an admin names its own. */
export async function createUser(store: Store, input: UserInput, actor: Actor): Promise<UserView> {
  const scope =
    input.role === 'merchant' ? input.merchantId : input.role === 'influencer' ? input.influencerId : null
  if (input.role !== 'admin' && !scope)
    throw new HttpError(422, 'scope_required', `a ${input.role} user needs ${input.role}Id`)
  const email = input.email.toLowerCase()
  return store.db.transaction(async (tx) => {
    const owner = scope
      ? await one<{ org_id: string }>(
          tx,
          input.role === 'merchant'
            ? sql`select org_id from merchants where id = ${scope}`
            : sql`select org_id from influencers where id = ${scope}`,
        )
      : input.orgId
        ? await one<{ org_id: string }>(
            tx,
            sql`select id as org_id from organisations where id = ${input.orgId}`,
          )
        : undefined
    if (!owner) throw notFound(scope ? input.role : 'organisation (orgId)')
    if (await one(tx, sql`select 1 from users where email = ${email}`))
      throw new HttpError(409, 'email_taken', 'a user with this email exists')
    // A concurrent twin still hits users_email_unique: the app's error handler turns that into a 409 as well.
    const user = (await one<UserView>(
      tx,
      sql`insert into users (id, org_id, email, role, merchant_id, influencer_id)
          values (${Bun.randomUUIDv7()}, ${owner.org_id}, ${email}, ${input.role},
                  ${input.role === 'merchant' ? scope : null}, ${input.role === 'influencer' ? scope : null})
          returning ${USER_COLUMNS}`,
    ))!
    await recordAudit(tx, {
      actor: actor.principal,
      action: 'user.created',
      targetType: 'user',
      targetId: user.id,
      orgId: user.orgId,
      ip: actor.ip,
      after: { ...user },
    })
    return user
  })
}

export interface CreatedKey {
  id: string
  userId: string
  name: string
  prefix: string
  /** The key itself: shown in this response only, stored as its SHA-256. */
  key: string
  expiresAt: string | null
  /** What the key may do within its owner's reach; empty: everything its owner may. */
  scopes: Scope[]
}

/**
 * `scopes` narrows the key (each route checks the one it needs: 403 insufficient_scope); without it the key may do
 * whatever its owner may. Scopes never widen a key: a merchant's key with every scope still sees only its merchant.
 */
export async function createApiKey(
  store: Store,
  userId: string,
  input: { name: string; expiresAt?: string; scopes?: readonly Scope[] },
  actor: Actor,
): Promise<CreatedKey> {
  return store.db.transaction(async (tx) => {
    const user = await one<{ org_id: string }>(tx, sql`select org_id from users where id = ${userId}`)
    if (!user) throw notFound('user')
    const minted = mintApiKey()
    const id = Bun.randomUUIDv7()
    const expiresAt = input.expiresAt ?? null
    const scopes = [...new Set(input.scopes ?? [])].sort()
    await tx.execute(sql`
      insert into api_keys (id, org_id, user_id, name, prefix, key_hash, expires_at, scopes)
      values (${id}, ${user.org_id}, ${userId}, ${input.name}, ${minted.prefix}, ${minted.hash}, ${expiresAt},
              array[${sql.join(
                scopes.map((s) => sql`${s}`),
                sql`, `,
              )}]::text[])`)
    const view = { id, userId, name: input.name, prefix: minted.prefix, expiresAt, scopes }
    await recordAudit(tx, {
      actor: actor.principal,
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: id,
      orgId: user.org_id,
      ip: actor.ip,
      after: view,
    })
    return { ...view, key: minted.key }
  })
}

export async function revokeApiKey(store: Store, id: string, actor: Actor): Promise<void> {
  await store.db.transaction(async (tx) => {
    const key = await one<{ org_id: string; name: string; revoked_at: string | null }>(
      tx,
      sql`select org_id, name, revoked_at::text from api_keys where id = ${id} for update`,
    )
    if (!key) throw notFound('API key')
    if (key.revoked_at) return
    await tx.execute(sql`update api_keys set revoked_at = now() where id = ${id}`)
    await recordAudit(tx, {
      actor: actor.principal,
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: id,
      orgId: key.org_id,
      ip: actor.ip,
      before: { name: key.name, revokedAt: null },
    })
  })
}
