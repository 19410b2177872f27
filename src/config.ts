import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'
import { DEFAULT_FEES, type FeeMethod, type FeeTable, parseFeeSchedule } from './payouts/providers/fees.ts'

/** A configuration problem the operator must fix; main exits 2 with this message. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export interface ClickIdKey {
  readonly kid: string
  readonly secret: Uint8Array
}

export interface Config {
  readonly port: number
  readonly host: string
  /** Absent means the embedded PGlite database under dataDir. */
  readonly databaseUrl: string | undefined
  readonly dataDir: string
  readonly poolSize: number
  readonly logLevel: (typeof LOG_LEVELS)[number]
  /** An event-loop stall at least this long is logged (src/ops/loop-monitor.ts). */
  readonly loopStallWarnMs: number
  readonly trustedProxies: readonly string[]
  readonly publicBaseUrl: string
  readonly links: {
    /** Query parameter carrying our signed click id when the program's network names none. */
    readonly clickIdParam: string
    readonly cacheSize: number
    /** Unknown slugs remembered, so a scan of random slugs costs one query per slug, not one per request. */
    readonly negativeCacheSize: number
    readonly negativeCacheTtlMs: number
  }
  readonly clicks: {
    /** Records held in memory before spilling to the journal. */
    readonly bufferSize: number
    readonly flushIntervalMs: number
    readonly flushMaxRows: number
    readonly journalDir: string
    /** Slots of the click WAL (2 KiB each, in journalDir); 0 turns it off. */
    readonly walSlots: number
    /** Daily partitions older than this are dropped; 0 keeps everything. */
    readonly retentionDays: number
  }
  readonly commissions: {
    /** How often pending commissions past their hold are approved (every host runs it; the update is idempotent). */
    readonly approvalIntervalMs: number
    /** How often clicks of pay-per-click programs are counted into commissions (closed hours only). */
    readonly clickAccrualIntervalMs: number
  }
  readonly payoutSchedule: {
    /** Day of the month (UTC) from which the previous month's payouts run; null: no schedule (API/CLI only). */
    readonly day: number | null
    readonly currencies: readonly string[]
    /** How often each host checks for a due run; also how soon a host takes over a run a dead host left. */
    readonly intervalMs: number
  }
  readonly payoutProviders: {
    /** Each request to a payment provider gives up after this long (and counts as retryable). */
    readonly timeoutMs: number
    /** No secretKey: the stripe_connect provider is not available. */
    readonly stripe: { readonly apiBase: string; readonly secretKey: string | undefined }
    /** Both credentials or neither (then the paypal provider is not available). */
    readonly paypal: {
      readonly apiBase: string
      readonly clientId: string | undefined
      readonly clientSecret: string | undefined
    }
    readonly fees: FeeTable
  }
  readonly outboundWebhooks: {
    /** Lets endpoints use plain http:// (local development and tests); https only otherwise. */
    readonly allowHttp: boolean
  }
  /**
   * Requests per client per minute (sliding window, per host); 0 turns a limit off. /api counts each client
   * address and, separately, each API key; the signed intake (/webhooks, /postback, /api/v1/events) each address.
   */
  readonly rateLimits: {
    readonly apiPerMinute: number
    readonly webhooksPerMinute: number
  }
  /** Browser origins allowed to call /api cross-origin; empty: no CORS headers at all. */
  readonly corsOrigins: readonly string[]
  readonly secrets: {
    /** Grants every /api route until accounts and scoped keys exist; unset disables the API. */
    readonly adminApiKey: string | undefined
    /** First key signs new click ids; the rest still verify, so keys rotate without breaking live links. */
    readonly clickIdKeys: readonly ClickIdKey[]
    readonly ipHashSalt: Uint8Array
    readonly masterKey: Uint8Array
    /** True when the embedded database generated them; never in Postgres mode. */
    readonly generated: boolean
  }
}

/** Flags main.ts parsed from the command line; they win over the environment. */
export interface ConfigFlags {
  port?: string
  host?: string
  dataDir?: string
}

const intFrom = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))

const databaseUrl = z
  .string()
  .refine((v) => /^postgres(ql)?:\/\/[^/]/.test(v), 'must be a postgres:// or postgresql:// URL')
  .refine((v) => URL.canParse(v), 'is not a valid URL')

const ipOrCidr = z
  .string()
  .regex(/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)(\/\d{1,3})?$/, 'must list IP addresses or CIDR ranges')

const apiBase = z
  .string()
  .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
  .transform((v) => v.replace(/\/+$/, ''))

// An origin as browsers send it: scheme://host[:port], nothing after it.
const origin = z
  .string()
  .regex(
    /^https?:\/\/[^/?#\s]+$/,
    'must list origins like https://app.example.com (no path, no trailing slash)',
  )
  .transform((v) => v.toLowerCase())

const credential = z.string().regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')

const feeSpec = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const schedule = parseFeeSchedule(v)
      if (typeof schedule !== 'string') return schedule
      ctx.issues.push({ code: 'custom', message: schedule, input: v })
      return z.NEVER
    })

const envSchema = z.object({
  PORT: intFrom(0, 65535).default(3000),
  HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  DATABASE_URL: databaseUrl.optional(),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  DATABASE_POOL_SIZE: intFrom(1, 500).default(10),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  LOOP_STALL_WARN_MS: intFrom(5, 60_000).default(50),
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(ipOrCidr)),
  PUBLIC_BASE_URL: z
    .string()
    .refine((v) => /^https?:\/\//.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
    .optional(),
  CLICK_ID_PARAM: z
    .string()
    .regex(
      /^[A-Za-z][A-Za-z0-9_-]{0,31}$/,
      'must be 1-32 characters of A-Z a-z 0-9 _ - starting with a letter',
    )
    .default('sk_cid'),
  LINK_CACHE_SIZE: intFrom(100, 50_000_000).default(100_000),
  LINK_NEGATIVE_CACHE_SIZE: intFrom(100, 10_000_000).default(10_000),
  LINK_NEGATIVE_CACHE_TTL_MS: intFrom(100, 3_600_000).default(30_000),
  CLICK_BUFFER_SIZE: intFrom(1024, 10_000_000).default(65_536),
  CLICK_FLUSH_INTERVAL_MS: intFrom(1, 10_000).default(10),
  CLICK_FLUSH_MAX_ROWS: intFrom(1, 100_000).default(5_000),
  CLICK_JOURNAL_DIR: z.string().min(1, 'must not be empty').optional(),
  CLICK_WAL_SLOTS: intFrom(0, 20_000_000).optional(),
  CLICK_RETENTION_DAYS: intFrom(0, 36_500).default(395),
  COMMISSION_APPROVAL_INTERVAL_MS: intFrom(1_000, 86_400_000).default(60_000),
  CLICK_ACCRUAL_INTERVAL_MS: intFrom(1_000, 86_400_000).default(300_000),
  ADMIN_API_KEY: z
    .string()
    .min(24, 'must be at least 24 characters')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  CLICK_ID_KEYS: z.string().optional(),
  IP_HASH_SALT: z.string().optional(),
  MASTER_KEY: z.string().optional(),
  STRIPE_API_BASE: apiBase.default('https://api.stripe.com'),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(
      /^(sk|rk)_(test|live)_[0-9A-Za-z]{8,}$/,
      'must be a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_…)',
    )
    .optional(),
  PAYPAL_API_BASE: apiBase.default('https://api-m.paypal.com'),
  PAYPAL_CLIENT_ID: credential.optional(),
  PAYPAL_CLIENT_SECRET: credential.optional(),
  PAYOUT_SCHEDULE_DAY: intFrom(1, 28).optional(),
  PAYOUT_SCHEDULE_CURRENCIES: z
    .string()
    .default('USD')
    .transform((v) => v.split(',').map((c) => c.trim().toUpperCase()))
    .refine((cs) => cs.every((c) => /^[A-Z]{3}$/.test(c)), 'must be comma-separated ISO 4217 codes'),
  PAYOUT_SCHEDULE_INTERVAL_MS: intFrom(100, 86_400_000).default(3_600_000),
  PAYOUT_PROVIDER_TIMEOUT_MS: intFrom(100, 300_000).default(10_000),
  PAYOUT_FEE_STRIPE: feeSpec('2.9%+0.30'),
  PAYOUT_FEE_PAYPAL: feeSpec('2%'),
  PAYOUT_FEE_ACH: feeSpec('0.50'),
  // 600/min per key or address is ten requests a second, far above a dashboard or an integration's sync; the
  // intake's 6,000/min (100/s from one address) covers a network's retry storm after an outage of ours.
  RATE_LIMIT_API_PER_MINUTE: intFrom(0, 10_000_000).default(600),
  RATE_LIMIT_WEBHOOKS_PER_MINUTE: intFrom(0, 10_000_000).default(6_000),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(origin)),
  OUTBOUND_WEBHOOKS_ALLOW_HTTP: z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
})

type Env = Record<string, string | undefined>

/** Accepts 64 hex chars or base64/base64url; secrets must never end up in messages. */
export function decodeSecret(name: string, value: string, minBytes: number, exactBytes?: number): Uint8Array {
  const bytes =
    /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : decodeB64(value)
  if (!bytes) throw new ConfigError(`${name}: must be hex or base64`)
  if (exactBytes !== undefined && bytes.length !== exactBytes)
    throw new ConfigError(`${name}: must decode to exactly ${exactBytes} bytes (got ${bytes.length})`)
  if (bytes.length < minBytes)
    throw new ConfigError(`${name}: must decode to at least ${minBytes} bytes (got ${bytes.length})`)
  return new Uint8Array(bytes)
}

function decodeB64(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined
  return Buffer.from(value, 'base64')
}

/** CLICK_ID_KEYS="k2:secret,k1:oldsecret" — key ids travel inside click ids, so they stay short and URL-safe. */
export function parseClickIdKeys(raw: string): ClickIdKey[] {
  const keys = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.indexOf(':')
      if (at <= 0) throw new ConfigError('CLICK_ID_KEYS: each entry must be "kid:secret"')
      const kid = entry.slice(0, at)
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(kid))
        throw new ConfigError('CLICK_ID_KEYS: key ids must be 1-16 characters of A-Z a-z 0-9 _ -')
      return { kid, secret: decodeSecret(`CLICK_ID_KEYS (key ${kid})`, entry.slice(at + 1), 32) }
    })
  if (keys.length === 0) throw new ConfigError('CLICK_ID_KEYS: at least one "kid:secret" entry is required')
  if (new Set(keys.map((k) => k.kid)).size !== keys.length)
    throw new ConfigError('CLICK_ID_KEYS: key ids must be unique')
  return keys
}

interface RawSecrets {
  CLICK_ID_KEYS?: string | undefined
  IP_HASH_SALT?: string | undefined
  MASTER_KEY?: string | undefined
}

const SECRET_NAMES = ['CLICK_ID_KEYS', 'IP_HASH_SALT', 'MASTER_KEY'] as const

/**
 * The embedded demo database must work with zero set-up, so missing secrets are generated once and kept beside
 * the data (restarts keep click ids valid). A shared Postgres means production: every secret must be given.
 */
function resolveSecrets(
  env: RawSecrets,
  embedded: boolean,
  dataDir: string,
): RawSecrets & { generated: boolean } {
  const missing = SECRET_NAMES.filter((n) => !env[n])
  if (missing.length === 0) return { ...env, generated: false }
  if (!embedded)
    throw new ConfigError(
      `${missing.join(', ')}: required when DATABASE_URL is set (see README "Configuration")`,
    )
  const file = join(dataDir, 'dev-secrets.json')
  let stored: RawSecrets = {}
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as RawSecrets
  else {
    stored = {
      CLICK_ID_KEYS: `dev1:${randomBytes(32).toString('base64url')}`,
      IP_HASH_SALT: randomBytes(32).toString('base64url'),
      MASTER_KEY: randomBytes(32).toString('base64url'),
    }
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600 })
  }
  const merged = { ...stored }
  for (const n of SECRET_NAMES) if (env[n]) merged[n] = env[n]
  return { ...merged, generated: true }
}

export function loadConfig(
  env: Env = process.env,
  flags: ConfigFlags = {},
  cwd = process.cwd(),
): Readonly<Config> {
  const withFlags: Env = { ...env }
  if (flags.port !== undefined) withFlags.PORT = flags.port
  if (flags.host !== undefined) withFlags.HOST = flags.host
  if (flags.dataDir !== undefined) withFlags.DATA_DIR = flags.dataDir
  for (const k of Object.keys(envSchema.shape)) if (withFlags[k] === '') delete withFlags[k]

  const parsed = envSchema.safeParse(withFlags)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(lines.join('\n'))
  }
  const e = parsed.data
  if (!e.PAYPAL_CLIENT_ID !== !e.PAYPAL_CLIENT_SECRET)
    throw new ConfigError('PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET: set both or neither')
  const dataDir = isAbsolute(e.DATA_DIR) ? e.DATA_DIR : resolve(cwd, e.DATA_DIR)
  const raw = resolveSecrets(e, e.DATABASE_URL === undefined, dataDir)
  const secrets = {
    clickIdKeys: Object.freeze(parseClickIdKeys(raw.CLICK_ID_KEYS ?? '')),
    ipHashSalt: decodeSecret('IP_HASH_SALT', raw.IP_HASH_SALT ?? '', 16),
    masterKey: decodeSecret('MASTER_KEY', raw.MASTER_KEY ?? '', 32, 32),
    adminApiKey: e.ADMIN_API_KEY,
    generated: raw.generated,
  }
  const host = e.HOST
  const publicBaseUrl = (
    e.PUBLIC_BASE_URL ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${e.PORT}`
  ).replace(/\/+$/, '')
  return Object.freeze({
    port: e.PORT,
    host,
    databaseUrl: e.DATABASE_URL,
    dataDir,
    poolSize: e.DATABASE_POOL_SIZE,
    logLevel: e.LOG_LEVEL,
    loopStallWarnMs: e.LOOP_STALL_WARN_MS,
    trustedProxies: Object.freeze(e.TRUSTED_PROXIES),
    publicBaseUrl,
    links: Object.freeze({
      clickIdParam: e.CLICK_ID_PARAM,
      cacheSize: e.LINK_CACHE_SIZE,
      negativeCacheSize: e.LINK_NEGATIVE_CACHE_SIZE,
      negativeCacheTtlMs: e.LINK_NEGATIVE_CACHE_TTL_MS,
    }),
    clicks: Object.freeze({
      bufferSize: e.CLICK_BUFFER_SIZE,
      flushIntervalMs: e.CLICK_FLUSH_INTERVAL_MS,
      flushMaxRows: e.CLICK_FLUSH_MAX_ROWS,
      journalDir: e.CLICK_JOURNAL_DIR ? resolve(cwd, e.CLICK_JOURNAL_DIR) : join(dataDir, 'click-journal'),
      // Room for a full ring plus the batches in flight: a click leaves its slot only once stored or journaled.
      walSlots: e.CLICK_WAL_SLOTS ?? e.CLICK_BUFFER_SIZE + 4 * e.CLICK_FLUSH_MAX_ROWS,
      retentionDays: e.CLICK_RETENTION_DAYS,
    }),
    commissions: Object.freeze({
      approvalIntervalMs: e.COMMISSION_APPROVAL_INTERVAL_MS,
      clickAccrualIntervalMs: e.CLICK_ACCRUAL_INTERVAL_MS,
    }),
    payoutSchedule: Object.freeze({
      day: e.PAYOUT_SCHEDULE_DAY ?? null,
      currencies: Object.freeze(e.PAYOUT_SCHEDULE_CURRENCIES),
      intervalMs: e.PAYOUT_SCHEDULE_INTERVAL_MS,
    }),
    payoutProviders: Object.freeze({
      timeoutMs: e.PAYOUT_PROVIDER_TIMEOUT_MS,
      stripe: Object.freeze({ apiBase: e.STRIPE_API_BASE, secretKey: e.STRIPE_SECRET_KEY }),
      paypal: Object.freeze({
        apiBase: e.PAYPAL_API_BASE,
        clientId: e.PAYPAL_CLIENT_ID,
        clientSecret: e.PAYPAL_CLIENT_SECRET,
      }),
      fees: Object.freeze({
        stripe_connect: e.PAYOUT_FEE_STRIPE,
        paypal: e.PAYOUT_FEE_PAYPAL,
        ach: e.PAYOUT_FEE_ACH,
        // Settled by hand outside any provider: nothing to charge, so not configurable.
        manual: DEFAULT_FEES.manual,
      }),
    }),
    outboundWebhooks: Object.freeze({ allowHttp: e.OUTBOUND_WEBHOOKS_ALLOW_HTTP }),
    rateLimits: Object.freeze({
      apiPerMinute: e.RATE_LIMIT_API_PER_MINUTE,
      webhooksPerMinute: e.RATE_LIMIT_WEBHOOKS_PER_MINUTE,
    }),
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    secrets: Object.freeze(secrets),
  })
}

/** What may be logged or printed: secrets reduced to whether they are set. */
export function describeConfig(c: Config): Record<string, unknown> {
  return {
    port: c.port,
    host: c.host,
    database: c.databaseUrl ? redactUrl(c.databaseUrl) : `embedded (PGlite) at ${c.dataDir}`,
    poolSize: c.poolSize,
    logLevel: c.logLevel,
    loopStallWarnMs: c.loopStallWarnMs,
    trustedProxies: c.trustedProxies,
    publicBaseUrl: c.publicBaseUrl,
    clickIdKeyIds: c.secrets.clickIdKeys.map((k) => k.kid),
    links: c.links,
    clicks: c.clicks,
    commissions: c.commissions,
    payoutProviders: describePayoutProviders(c.payoutProviders),
    adminApi: c.secrets.adminApiKey ? 'enabled' : 'disabled (ADMIN_API_KEY unset)',
    outboundWebhooks: c.outboundWebhooks.allowHttp ? 'https and plain http' : 'https only',
    rateLimits: c.rateLimits,
    corsOrigins: c.corsOrigins.length ? c.corsOrigins : 'none (no CORS headers)',
    secrets: c.secrets.generated ? 'generated for the embedded database' : 'from environment',
  }
}

function describePayoutProviders(p: Config['payoutProviders']): Record<string, unknown> {
  const stripeMode = p.stripe.secretKey?.includes('_test_') ? 'test' : 'live'
  return {
    timeoutMs: p.timeoutMs,
    stripe: p.stripe.secretKey
      ? `enabled (${stripeMode} key) at ${redactUrl(p.stripe.apiBase)}`
      : 'disabled (STRIPE_SECRET_KEY unset)',
    paypal: p.paypal.clientId
      ? `enabled at ${redactUrl(p.paypal.apiBase)}`
      : 'disabled (PAYPAL_CLIENT_ID/PAYPAL_CLIENT_SECRET unset)',
    fees: Object.fromEntries((Object.keys(p.fees) as FeeMethod[]).map((m) => [m, p.fees[m].spec])),
  }
}

export function redactUrl(url: string): string {
  const u = new URL(url)
  if (u.password) u.password = '***'
  return u.toString()
}

/** The healthcheck command needs only the port; it must not demand secrets or create files. */
export function loadPort(env: Env = process.env, flags: ConfigFlags = {}): number {
  const parsed = envSchema.shape.PORT.safeParse(flags.port ?? (env.PORT || undefined))
  if (!parsed.success) throw new ConfigError(`PORT: ${parsed.error.issues[0]?.message}`)
  return parsed.data
}
