import { cors } from '@elysiajs/cors'
import { Elysia } from 'elysia'
import type { Config } from './config.ts'
import type { Store } from './db/store.ts'
import { accountsPlugin } from './auth/accounts-plugin.ts'
import { loginPlugin } from './auth/login-plugin.ts'
import { type Authenticator, createAuthenticator } from './auth/principal.ts'
import { translateDbError } from './links/pg-errors.ts'
import { dashboardPlugin } from './dashboard/plugin.ts'
import { fraudPlugin } from './fraud/plugin.ts'
import { createRateLimiter, tooManyRequests } from './fraud/rate-limit.ts'
import { devicesPlugin } from './devices/plugin.ts'
import { realtimePlugin } from './realtime/plugin.ts'
import { createRealtime, type Realtime, type RealtimeOptions } from './realtime/service.ts'
import { commissionsPlugin } from './commissions/plugin.ts'
import { payoutDeps } from './payouts/deps.ts'
import { payoutsPlugin } from './payouts/plugin.ts'
import { docsPlugin } from './docs/plugin.ts'
import { linksPlugin } from './links/plugin.ts'
import { createHttpMetrics, type HttpMetrics } from './ops/metrics.ts'
import { loopMonitor } from './ops/loop-monitor.ts'
import { opsPlugin } from './ops/plugin.ts'
import { clickReadiness } from './redirect/readiness.ts'
import { outboundPlugin } from './outbound/plugin.ts'
import { outboundWorker } from './outbound/service.ts'
import { redirectPlugin, redirectServeRoutes } from './redirect/plugin.ts'
import { statsPlugin } from './stats/plugin.ts'
import { createRedirect, type Redirect } from './redirect/service.ts'
import { errorBody, HttpError } from './shared/errors.ts'
import { createSite, type Site } from './site/service.ts'
import { sitePlugin } from './site/plugin.ts'
import { createWebhookIntake, type WebhookIntake } from './webhooks/intake.ts'
import { importsPlugin } from './webhooks/imports-plugin.ts'
import { webhookSecretsPlugin, webhooksPlugin } from './webhooks/plugin.ts'
import type { Logger } from './shared/logger.ts'

export interface AppDeps {
  readonly config: Config
  readonly store: Store
  readonly log: Logger
  readonly metrics: HttpMetrics
  readonly redirect: Redirect
  readonly authenticate: Authenticator
  readonly realtime: Realtime
  readonly intake: WebhookIntake
  readonly site: Site
}

/** Everything a host runs: the app plus the services and workers behind it (lifecycle starts the workers). */
export function createRuntime(d: {
  config: Config
  store: Store
  log: Logger
  feed?: Partial<Pick<RealtimeOptions, 'maxBufferedBytes' | 'clickBatchMs' | 'heartbeatMs'>>
}) {
  const metrics = createHttpMetrics()
  const realtime = createRealtime({ store: d.store, log: d.log, ...d.feed })
  const redirect = createRedirect({ ...d, registry: metrics.registry, onClicksStored: realtime.clicksStored })
  const authenticate = createAuthenticator({
    store: d.store,
    adminApiKey: d.config.secrets.adminApiKey,
    trustedProxies: d.config.trustedProxies,
    masterKey: d.config.secrets.masterKey,
  })
  const intake = createWebhookIntake({ store: d.store, config: d.config })
  const site = createSite({ store: d.store, config: d.config, log: d.log, intake })
  const app = createApp({ ...d, metrics, redirect, authenticate, realtime, intake, site })
  // The feed starts after the flusher and stops before it, so its final sends happen while clicks still drain.
  return {
    app,
    config: d.config,
    metrics,
    redirect,
    authenticate,
    realtime,
    site,
    // First to start, last to stop: revocations made on other hosts are heard before this one serves a request.
    workers: [
      loopMonitor({ log: d.log, registry: metrics.registry, warnMs: d.config.loopStallWarnMs }),
      authenticate.worker,
      ...redirect.workers,
      ...site.workers,
      realtime.worker,
      outboundWorker({ store: d.store, log: d.log, masterKey: d.config.secrets.masterKey }),
    ],
  }
}

const MAX_BODY_BYTES = 1024 * 1024
// 1,000 links with long destinations and UTM sets fit comfortably; so does a month of a network's CSV report.
const BULK_PATHS = ['/api/v1/links/bulk', '/api/v1/imports/conversions']
const BULK_MAX_BODY_BYTES = 8 * MAX_BODY_BYTES

/** The body limit for a request URL; the import names its merchant in the query, so the path is compared. */
function bodyLimit(url: string): number {
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  return BULK_PATHS.some((p) => path.endsWith(p)) ? BULK_MAX_BODY_BYTES : MAX_BODY_BYTES
}

const statusOf = (s: unknown) => (typeof s === 'number' ? s : 200)

// No request body of ours nests more than a few levels (objects of objects of strings).
const MAX_BODY_DEPTH = 64

/**
 * After parsing, before validation: Elysia's ValidationError pretty-prints the whole body into its message,
 * in O(depth²) time and memory, and overflows the stack (a 500) past ~10⁴ levels, from a body of a few KiB.
 * Registered bound: Elysia infers from a hook's source what to parse, and a hook that reads `body` would make
 * every route parse its body; bound, it sees a body only where the route parses one anyway.
 */
function refuseDeepBodies({ body }: { body: unknown }) {
  if (nestsDeeperThan(body, MAX_BODY_DEPTH))
    throw new HttpError(400, 'malformed_body', `request body nests deeper than ${MAX_BODY_DEPTH} levels`)
}

/** Iterative, so it cannot overflow the stack itself. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next
    if (typeof v !== 'object' || v === null) continue
    if (depth >= max) return true
    for (const child of Object.values(v))
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
  return false
}

/**
 * CORS for browser apps on the configured origins, on /api only (other paths never get an allow-origin);
 * preflights are answered. Bearer keys travel in Authorization, never cookies: no credentials mode. Used before
 * the rate limiter's hook, so a 429 still carries the allow-origin a browser needs to read it.
 */
function apiCors(origins: readonly string[]) {
  const allowed = new Set(origins)
  return cors({
    origin: (request: Request) =>
      allowed.has(request.headers.get('origin') ?? '') && new URL(request.url).pathname.startsWith('/api/'),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key'],
    exposeHeaders: ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after'],
    credentials: false,
    maxAge: 600,
  })
}

/** Builds the whole HTTP surface; never listens, so tests and bench can drive it with app.handle(). */
export function createApp(deps: AppDeps) {
  const { metrics } = deps
  const { intake } = deps
  const started = new WeakMap<Request, number>()
  const limiter = createRateLimiter({ ...deps.config.rateLimits, trustedProxies: deps.config.trustedProxies })
  // Bun's own limit is the backstop for chunked bodies (it answers an empty 413); declared sizes get a JSON reason.
  // reusePort off: a second host started on a taken port must fail, not silently share it.
  return new Elysia({
    name: 'skinstack',
    serve: {
      maxRequestBodySize: 2 * BULK_MAX_BODY_BYTES,
      reusePort: false,
      routes: redirectServeRoutes(deps.redirect),
    },
    // Bun's own backstop behind the hub's per-socket limit; pings keep idle feeds alive through proxies.
    websocket: {
      backpressureLimit: 4 * 1024 * 1024,
      closeOnBackpressureLimit: true,
      idleTimeout: 120,
      sendPings: true,
      maxPayloadLength: 16 * 1024,
    },
  })
    .use(deps.config.corsOrigins.length ? apiCors(deps.config.corsOrigins) : new Elysia({ name: 'no-cors' }))
    .onRequest(({ request, set, server }) => {
      started.set(request, performance.now())
      // Counted before routing, authentication and body parsing: floods of bad keys or big bodies count too.
      const limited = limiter.check(request, server?.requestIP(request)?.address)
      if (limited && !limited.verdict.allowed) return tooManyRequests(limited.verdict, limited.headers)
      limited?.headers.forEach((v, k) => {
        set.headers[k] = v
      })
      const limit = bodyLimit(request.url)
      if (Number(request.headers.get('content-length') ?? 0) > limit) {
        set.status = 413
        return errorBody('body_too_large', `request body exceeds ${limit} bytes`)
      }
    })
    .onTransform({ as: 'global' }, refuseDeepBodies.bind(null))
    .onAfterResponse({ as: 'global' }, ({ request, route, set, responseValue }) => {
      const t0 = started.get(request)
      if (t0 === undefined) return
      // A handler that returns a Response sets its status there, not in set.status.
      const status = responseValue instanceof Response ? responseValue.status : statusOf(set.status)
      metrics.observe(request.method, route || 'unmatched', status, (performance.now() - t0) / 1000)
    })
    .onError({ as: 'global' }, ({ code, error, set, request }) => {
      if (error instanceof HttpError) {
        set.status = error.status
        return errorBody(error.code, error.message, error.details)
      }
      switch (code) {
        case 'VALIDATION':
          set.status = 400
          return errorBody('invalid_request', validationSummary(error), validationDetails(error))
        case 'NOT_FOUND':
          set.status = 404
          return errorBody(
            'route_not_found',
            `no route for ${request.method} ${new URL(request.url).pathname}`,
          )
        case 'PARSE':
          set.status = 400
          return errorBody('malformed_body', 'request body could not be parsed')
        default: {
          // A constraint that decided a race the service's own checks could not see: the 409/422 it means.
          const db = translateDbError(error)
          if (db instanceof HttpError) {
            set.status = db.status
            return errorBody(db.code, db.message, db.details)
          }
          deps.log.error({ err: error, url: request.url }, 'unhandled error')
          set.status = 500
          return errorBody('internal_error', 'internal error')
        }
      }
    })
    .use(docsPlugin())
    .use(opsPlugin({ store: deps.store, metrics, clicks: () => clickReadiness(deps.redirect) }))
    .use(redirectPlugin(deps.redirect))
    .use(linksPlugin({ store: deps.store, config: deps.config, authenticate: deps.authenticate }))
    .use(commissionsPlugin({ store: deps.store, authenticate: deps.authenticate }))
    .use(payoutsPlugin({ store: deps.store, deps: payoutDeps(deps), authenticate: deps.authenticate }))
    .use(webhooksPlugin({ intake, log: deps.log, registry: metrics.registry }))
    .use(
      webhookSecretsPlugin({
        store: deps.store,
        config: deps.config,
        intake,
        authenticate: deps.authenticate,
      }),
    )
    .use(importsPlugin({ store: deps.store, config: deps.config, authenticate: deps.authenticate }))
    .use(statsPlugin({ store: deps.store, authenticate: deps.authenticate }))
    .use(fraudPlugin({ store: deps.store, authenticate: deps.authenticate }))
    .use(outboundPlugin({ store: deps.store, config: deps.config, authenticate: deps.authenticate }))
    .use(sitePlugin({ site: deps.site, store: deps.store, authenticate: deps.authenticate }))
    .use(dashboardPlugin())
    .use(realtimePlugin({ hub: deps.realtime.hub, authenticate: deps.authenticate }))
    .use(accountsPlugin({ store: deps.store, authenticate: deps.authenticate }))
    .use(
      loginPlugin({
        store: deps.store,
        authenticate: deps.authenticate,
        masterKey: deps.config.secrets.masterKey,
        ipHashSalt: deps.config.secrets.ipHashSalt,
      }),
    )
    .use(
      devicesPlugin({
        store: deps.store,
        authenticate: deps.authenticate,
        masterKey: deps.config.secrets.masterKey,
      }),
    )
}

export type App = ReturnType<typeof createApp>

function validationSummary(error: unknown): string {
  const e = error as { type?: string; valueError?: { path?: string; message?: string } }
  const where = e.type ?? 'request'
  const v = e.valueError
  return v ? `${where}${v.path ?? ''}: ${v.message ?? 'invalid'}` : `invalid ${where}`
}

function validationDetails(error: unknown): unknown {
  const all = (error as { all?: { path?: string; message?: string }[] }).all
  return Array.isArray(all) ? all.map((i) => ({ path: i.path, message: i.message })) : undefined
}
