import { createRuntime } from '../app.ts'
import { type Config, describeConfig } from '../config.ts'
import { openStore } from '../db/client.ts'
import { migrationStatus } from '../db/migrate.ts'
import { Lifecycle } from '../lifecycle.ts'
import { verifyClickId } from '../shared/click-id.ts'
import type { Store } from '../db/store.ts'
import { createLogger } from '../shared/logger.ts'

interface Check {
  name: string
  ok: boolean
  detail: string
}

const MAX_SKEW_MS = 1000

/** Prints a pass/fail table; exit 1 when anything fails so deploy scripts can gate on it. */
export async function runDoctor(config: Config): Promise<number> {
  const checks: Check[] = []
  const d = describeConfig(config)
  checks.push({
    name: 'config',
    ok: true,
    detail: `database ${d.database}; click-id keys ${d.clickIdKeyIds}`,
  })
  let store: Store | undefined
  try {
    const t0 = performance.now()
    store = await openStore(config)
    await store.query('select 1')
    checks.push({
      name: 'database',
      ok: true,
      detail: `${store.kind} answered in ${ms(performance.now() - t0)}`,
    })
  } catch (err) {
    checks.push({ name: 'database', ok: false, detail: (err as Error).message })
  }
  if (store) {
    checks.push(await checkMigrations(store))
    checks.push(await checkRoundTrip(config, store))
    checks.push(await checkClock(store))
    await store.close()
  }
  process.stdout.write(renderTable(checks))
  return checks.every((c) => c.ok) ? 0 : 1
}

async function checkMigrations(store: Store): Promise<Check> {
  const s = await migrationStatus(store.db)
  return s.pending.length === 0
    ? { name: 'migrations', ok: true, detail: `${s.applied} applied, latest ${s.latestApplied}` }
    : { name: 'migrations', ok: false, detail: `pending: ${s.pending.join(', ')} (run 'skinstack migrate')` }
}

/** Serves the real app on a loopback port and follows a live link through it, as a shopper would. */
async function checkRoundTrip(config: Config, store: Store): Promise<Check> {
  const name = 'redirect round trip'
  const runtime = createRuntime({ config, store, log: createLogger('silent') })
  const lifecycle = new Lifecycle(createLogger('silent'))
  await lifecycle.start(runtime.workers)
  const app = runtime.app.listen({ port: 0, hostname: '127.0.0.1' })
  try {
    const base = `http://127.0.0.1:${app.server?.port}`
    const health = await fetch(`${base}/healthz`)
    if (health.status !== 200) return { name, ok: false, detail: `/healthz answered ${health.status}` }
    const [link] = await store
      .query<{ slug: string; destination_url: string }>(
        `select slug, destination_url from tracking_links
          where active and (expires_at is null or expires_at > now()) limit 1`,
      )
      .catch(() => [])
    const slug = link?.slug ?? `doctor-${crypto.randomUUID().slice(0, 8)}`
    const t0 = performance.now()
    // HEAD: the click it records is flagged as a probe, so stats and billing ignore it.
    const res = await fetch(`${base}/l/${slug}`, { method: 'HEAD', redirect: 'manual' })
    const took = ms(performance.now() - t0)
    if (link) {
      const ok = res.status === 302 && landsOn(res.headers.get('location'), link.destination_url, config)
      return {
        name,
        ok,
        detail: `/l/${slug} → ${res.status} ${res.headers.get('location') ?? ''} in ${took}`,
      }
    }
    const ok = res.status === 404
    return { name, ok, detail: `no links yet; unknown slug → ${res.status} in ${took}` }
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message }
  } finally {
    await app.stop(true)
    await lifecycle.stop()
  }
}

/** Click windows, hold days and signature tolerances all compare our clock with the database's. */
async function checkClock(store: Store): Promise<Check> {
  const t0 = Date.now()
  const [row] = await store.query<{ ms: string }>(
    `select (extract(epoch from clock_timestamp()) * 1000)::bigint::text as ms`,
  )
  const t1 = Date.now()
  const skew = Number(row?.ms) - (t0 + t1) / 2
  const ok = Math.abs(skew) <= MAX_SKEW_MS
  return {
    name: 'clock skew',
    ok,
    detail: `${skew >= 0 ? '+' : ''}${Math.round(skew)} ms vs database (limit ±${MAX_SKEW_MS} ms)`,
  }
}

/** The redirect went to the link's page and carried a click id our keys verify. */
function landsOn(location: string | null, destination: string, config: Config): boolean {
  if (!location || !URL.canParse(location)) return false
  const got = new URL(location)
  const want = new URL(destination)
  const samePage = got.origin === want.origin && got.pathname === want.pathname
  return (
    samePage && [...got.searchParams.values()].some((v) => verifyClickId(v, config.secrets.clickIdKeys).ok)
  )
}

const ms = (n: number) => `${n.toFixed(1)} ms`

function renderTable(checks: Check[]): string {
  const w = Math.max(...checks.map((c) => c.name.length))
  const lines = checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'}  ${c.name.padEnd(w)}  ${c.detail}`)
  const failed = checks.filter((c) => !c.ok).length
  return `${lines.join('\n')}\n\n${failed ? `${failed} check(s) failed` : 'all checks passed'}\n`
}
