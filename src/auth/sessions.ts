import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { recordAudit } from '../audit/service.ts'
import { rawRows } from '../db/rows.ts'
import type { Db, Store } from '../db/store.ts'
import { HttpError, notFound } from '../shared/errors.ts'
import { hashIp } from '../shared/ip-hash.ts'
import { ACCESS_TOKEN_SECONDS, signAccessToken } from './jwt.ts'
import { AUTH_CHANGED_CHANNEL, type Principal } from './principal.ts'

// Human login: email + password (argon2id via Bun.password) → a 15-minute session JWT and a refresh token. The
// refresh token is `skr_<session id>.<32 random bytes>`, stored as its SHA-256; each refresh replaces it, and
// presenting a replaced one (a stolen copy, or a client that lost a race) ends the whole session. Ending a session
// is announced on api_key_changed ('session:<id>'), so its access tokens stop working on every host at once.

export const PASSWORD_MIN_LENGTH = 12
export const PASSWORD_MAX_LENGTH = 1024
// A session idles out after 14 days without a refresh and ends 30 days after login whatever happens.
const SESSION_IDLE = '14 days'
const SESSION_MAX = '30 days'
const REFRESH = /^skr_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/

export interface Tokens {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  /** Seconds the access token is valid for. */
  expiresIn: number
}

export interface SessionDeps {
  readonly store: Store
  readonly jwtKey: Buffer
  /** IP_HASH_SALT: a session keeps its login address's salted hash for the shared_ip fraud rule. */
  readonly ipHashSalt: Uint8Array
}

/** Where a request came from, for the session row and the audit trail. */
export interface RequestMeta {
  readonly ip: string | null
  readonly userAgent: string | null
}

interface UserRow {
  id: string
  org_id: string
  role: 'admin' | 'merchant' | 'influencer'
  merchant_id: string | null
  influencer_id: string | null
}

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex')
const sameHex = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
const one = async <T>(tx: Db, q: ReturnType<typeof sql>) => (await rawRows<T>(tx, q))[0]
const unauthorized = (code: string, message: string) => new HttpError(401, code, message)

export const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: 'argon2id' })

// An unknown email is checked against this hash of a random password, so it costs what a wrong password costs.
let dummy: Promise<string> | undefined
const dummyHash = () => (dummy ??= hashPassword(randomBytes(32).toString('base64')))

/** The principal a session acts as (for the audit trail's actor columns). */
const actorOf = (u: UserRow, sessionId: string): Principal =>
  u.role === 'merchant' && u.merchant_id
    ? { kind: 'merchant', merchantId: u.merchant_id, keyId: null, userId: u.id, sessionId }
    : u.role === 'influencer' && u.influencer_id
      ? { kind: 'influencer', influencerId: u.influencer_id, keyId: null, userId: u.id, sessionId }
      : { kind: 'admin', keyId: null, userId: u.id, sessionId }

function mintRefresh(sessionId: string) {
  const token = `skr_${sessionId}.${randomBytes(32).toString('base64url')}`
  return { token, hash: sha256Hex(token) }
}

function tokensFor(d: SessionDeps, u: UserRow, sessionId: string, refreshToken: string): Tokens {
  const accessToken = signAccessToken(d.jwtKey, {
    sub: u.id,
    sid: sessionId,
    role: u.role,
    ...(u.merchant_id ? { merchantId: u.merchant_id } : {}),
    ...(u.influencer_id ? { influencerId: u.influencer_id } : {}),
  })
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_SECONDS }
}

/** Announces an ended session to every host (delivered when the transaction commits). */
const announceEnded = (tx: Db, sessionId: string) =>
  tx.execute(sql`select pg_notify(${AUTH_CHANGED_CHANNEL}, ${`session:${sessionId}`})`)

export async function login(
  d: SessionDeps,
  input: { email: string; password: string },
  meta: RequestMeta,
): Promise<Tokens> {
  const email = input.email.trim().toLowerCase()
  const [user] = await d.store.query<UserRow & { password_hash: string | null; disabled_at: unknown }>(
    `select id, org_id, role, merchant_id, influencer_id, password_hash, disabled_at from users where email = $1`,
    [email],
  )
  const usable = !!user?.password_hash && !user.disabled_at
  // Always one argon2 verification, whether the email exists or not: the answer and its timing are the same.
  const hash = usable ? user.password_hash! : await dummyHash()
  const matches = await Bun.password.verify(input.password, hash).catch(() => false)
  if (!usable || !matches || !user) {
    const reason = !user
      ? 'unknown_email'
      : user.disabled_at
        ? 'disabled'
        : usable
          ? 'bad_password'
          : 'no_password'
    await recordAudit(d.store.db, {
      actor: null,
      action: 'auth.login_failed',
      targetType: user ? 'user' : undefined,
      targetId: user?.id,
      orgId: user?.org_id,
      ip: meta.ip,
      details: { email, reason },
    })
    throw unauthorized('invalid_credentials', 'wrong email or password')
  }
  const sessionId = Bun.randomUUIDv7()
  const refresh = mintRefresh(sessionId)
  await d.store.db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into sessions (id, user_id, refresh_hash, expires_at, ip, ip_hash, user_agent)
      values (${sessionId}, ${user.id}, ${refresh.hash}, now() + ${SESSION_IDLE}::interval, ${meta.ip},
              ${meta.ip ? hashIp(d.ipHashSalt, meta.ip) : null}, ${meta.userAgent?.slice(0, 512) ?? null})`)
    await tx.execute(sql`update users set last_login_at = now() where id = ${user.id}`)
    await recordAudit(tx, {
      actor: actorOf(user, sessionId),
      action: 'auth.login_succeeded',
      targetType: 'session',
      targetId: sessionId,
      orgId: user.org_id,
      ip: meta.ip,
      details: { userAgent: meta.userAgent?.slice(0, 200) ?? null },
    })
  })
  return tokensFor(d, user, sessionId, refresh.token)
}

interface SessionRow extends UserRow {
  session_id: string
  refresh_hash: string
  revoked: boolean
  live: boolean
  disabled: boolean
}

type Presented =
  { kind: 'current'; row: SessionRow } | { kind: 'reused'; row: SessionRow } | { kind: 'invalid' }

/** Locks the session a refresh token names and says whether the token is its current one. */
async function presented(tx: Db, token: string): Promise<Presented> {
  const sid = REFRESH.exec(token)?.[1]
  if (!sid) return { kind: 'invalid' }
  const row = await one<SessionRow>(
    tx,
    sql`select s.id as session_id, s.refresh_hash, s.revoked_at is not null as revoked, s.expires_at > now() as live,
               u.id, u.org_id, u.role, u.merchant_id, u.influencer_id, u.disabled_at is not null as disabled
          from sessions s join users u on u.id = s.user_id
         where s.id = ${sid} for update of s`,
  )
  if (!row) return { kind: 'invalid' }
  return sameHex(row.refresh_hash, sha256Hex(token)) ? { kind: 'current', row } : { kind: 'reused', row }
}

/** A replaced refresh token came back: whoever holds the current one may be a thief, so the session ends. */
async function endReusedSession(tx: Db, row: SessionRow, meta: RequestMeta) {
  if (row.revoked) return
  await tx.execute(sql`update sessions set revoked_at = now() where id = ${row.session_id}`)
  await announceEnded(tx, row.session_id)
  await recordAudit(tx, {
    actor: null,
    action: 'auth.refresh_reused',
    targetType: 'session',
    targetId: row.session_id,
    orgId: row.org_id,
    ip: meta.ip,
    details: { userId: row.id, outcome: 'session revoked' },
  })
}

/** Trades a refresh token for a new access token and a new refresh token; the one presented stops working. */
export async function refreshSession(d: SessionDeps, token: string, meta: RequestMeta): Promise<Tokens> {
  // The reuse branch must commit its revocation, so the refusal is thrown after the transaction.
  type Outcome = { tokens: Tokens } | { refused: 'invalid' | 'reused' | 'ended' }
  const outcome = await d.store.db.transaction(async (tx): Promise<Outcome> => {
    const p = await presented(tx, token)
    if (p.kind === 'invalid') return { refused: 'invalid' }
    if (p.kind === 'reused') {
      await endReusedSession(tx, p.row, meta)
      return { refused: 'reused' }
    }
    const { row } = p
    if (row.revoked || !row.live || row.disabled) return { refused: 'ended' }
    const next = mintRefresh(row.session_id)
    await tx.execute(sql`
      update sessions
         set refresh_hash = ${next.hash}, last_used_at = now(),
             expires_at = least(now() + ${SESSION_IDLE}::interval, created_at + ${SESSION_MAX}::interval)
       where id = ${row.session_id}`)
    await recordAudit(tx, {
      actor: actorOf(row, row.session_id),
      action: 'auth.session_refreshed',
      targetType: 'session',
      targetId: row.session_id,
      orgId: row.org_id,
      ip: meta.ip,
    })
    return { tokens: tokensFor(d, row, row.session_id, next.token) }
  })
  if ('tokens' in outcome) return outcome.tokens
  if (outcome.refused === 'reused')
    throw unauthorized(
      'refresh_token_reused',
      'this refresh token was already used; the session has been ended',
    )
  throw unauthorized('invalid_refresh_token', 'invalid, expired or revoked refresh token')
}

/** Ends the session named by a refresh token, or else the one the caller's session token belongs to. */
export async function logout(
  d: SessionDeps,
  input: { refreshToken?: string; principal?: Principal },
  meta: RequestMeta,
): Promise<void> {
  const outcome = await d.store.db.transaction(async (tx) => {
    let sessionId = input.principal?.sessionId
    let actor = input.principal ?? null
    if (input.refreshToken !== undefined) {
      const p = await presented(tx, input.refreshToken)
      if (p.kind === 'invalid') return 'invalid'
      if (p.kind === 'reused') {
        await endReusedSession(tx, p.row, meta)
        return 'reused'
      }
      sessionId = p.row.session_id
      actor = actorOf(p.row, sessionId)
    }
    if (!sessionId) return 'invalid'
    const ended = await one<{ org_id: string }>(
      tx,
      sql`update sessions s set revoked_at = now() from users u
           where s.id = ${sessionId} and u.id = s.user_id and s.revoked_at is null returning u.org_id`,
    )
    if (!ended) return 'done'
    await announceEnded(tx, sessionId)
    await recordAudit(tx, {
      actor,
      action: 'auth.logout',
      targetType: 'session',
      targetId: sessionId,
      orgId: ended.org_id,
      ip: meta.ip,
    })
    return 'done'
  })
  if (outcome === 'reused')
    throw unauthorized(
      'refresh_token_reused',
      'this refresh token was already used; the session has been ended',
    )
  if (outcome === 'invalid')
    throw unauthorized('unauthorized', 'send the refresh token, or a session token in Authorization')
}

/**
 * Sets a user's password: an admin for anyone, a user for itself from a logged-in session (giving its current
 * password when it has one). Every other session of the user ends. The route checks the accounts:write scope.
 */
export async function setPassword(
  d: SessionDeps,
  userId: string,
  input: { password: string; currentPassword?: string },
  actor: { principal: Principal; ip: string | null },
): Promise<void> {
  const p = actor.principal
  const self = p.userId === userId && p.sessionId !== undefined
  if (p.kind !== 'admin' && !self)
    throw new HttpError(
      403,
      'forbidden',
      'an admin, or the user itself from a logged-in session, may set this password',
    )
  if ([...input.password].length < PASSWORD_MIN_LENGTH)
    throw new HttpError(
      422,
      'password_too_short',
      `a password needs at least ${PASSWORD_MIN_LENGTH} characters`,
    )
  const [user] = await d.store.query<{ org_id: string; password_hash: string | null }>(
    'select org_id, password_hash from users where id = $1',
    [userId],
  )
  if (!user) throw notFound('user')
  if (p.userId === userId && user.password_hash) {
    const ok =
      input.currentPassword !== undefined &&
      (await Bun.password.verify(input.currentPassword, user.password_hash).catch(() => false))
    if (!ok) throw new HttpError(403, 'wrong_current_password', 'currentPassword is missing or wrong')
  }
  const hash = await hashPassword(input.password)
  await d.store.db.transaction(async (tx) => {
    await tx.execute(sql`update users set password_hash = ${hash}, updated_at = now() where id = ${userId}`)
    const ended = await rawRows<{ id: string }>(
      tx,
      sql`update sessions set revoked_at = now()
           where user_id = ${userId} and revoked_at is null and id is distinct from ${p.userId === userId ? (p.sessionId ?? null) : null}
          returning id`,
    )
    for (const s of ended) await announceEnded(tx, s.id)
    await recordAudit(tx, {
      actor: p,
      action: 'user.password_set',
      targetType: 'user',
      targetId: userId,
      orgId: user.org_id,
      ip: actor.ip,
      details: { self: p.userId === userId, sessionsEnded: ended.length },
    })
  })
}
