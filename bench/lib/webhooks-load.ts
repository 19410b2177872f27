// Load generator of bench/webhooks.ts, run as its own process pinned to the load core:
//   taskset -c 1 bun bench/lib/webhooks-load.ts '<json LoadArgs>'
// Pre-builds every signed Shopify orders/paid delivery (each its own X-Shopify-Webhook-Id and order id, HMAC
// SHA-256 base64 over the exact body with node:crypto), then fires them at a fixed concurrency with fetch
// (keep-alive), timing each request with performance.now(). Prints one JSON line (LoadResult) on stdout.
// Deliveries are a pure function of (runId, index), so a later run replays byte-identical duplicates.
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { nearestRank } from './percentile.ts'

export interface LoadArgs {
  url: string
  secret: string
  runId: string
  /** Deliveries first..first+count-1. */
  first: number
  count: number
  concurrency: number
  /** Click-id signing key, so each order carries a verifiable sk_cid (attribution evidence). */
  clickKid: string
  clickKeyHex: string
  /** Issue time of the clicks (Unix ms), the same for every run so duplicates are byte-identical. */
  clickAtMs: number
  /** The server under test: its CPU time is read from /proc around the timed window. */
  serverPid: number
  /**
   * Open loop: deliveries leave at this many per second whatever the server does, each timed from its
   * scheduled start (the latency-target measure). Absent: `concurrency` requests in flight (throughput).
   */
  rate?: number
}

export interface LoadResult {
  n: number
  wallMs: number
  rps: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
  statuses: Record<string, number>
  /** First few non-expected answers, for diagnosis. */
  samples: string[]
  buildMs: number
  serverCpuPct: number | null
  loadCpuPct: number
  /** Share of all the machine's CPUs busy during the timed window (Postgres included). */
  machineBusyPct: number | null
  loadCpusAllowed: string
}

export const webhookIdOf = (runId: string, i: number) => `bench-${runId}-${i}`
export const orderIdOf = (i: number) => 50_000_000 + i

/** A deterministic UUID v7 for delivery i (the click the order is attributed to), issued at clickAtMs. */
export function clickUuidOf(runId: string, clickAtMs: number, i: number): string {
  const t = clickAtMs.toString(16).padStart(12, '0')
  const h = createHmac('sha256', runId).update(String(i)).digest('hex')
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-8${h.slice(3, 6)}-${h.slice(6, 18)}`
}

// Same wire format as src/shared/click-id.ts: <uuid base64url>.<kid>.<HMAC-SHA256(key, "kid.payload")[:16]>.
function signClick(kid: string, key: Buffer, uuid: string): string {
  const payload = Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url')
  const mac = createHmac('sha256', key).update(`${kid}.${payload}`).digest().subarray(0, 16)
  return `${payload}.${kid}.${mac.toString('base64url')}`
}

export function buildDelivery(a: LoadArgs, i: number): { body: string; headers: Record<string, string> } {
  const orderId = orderIdOf(i)
  const cid = signClick(a.clickKid, Buffer.from(a.clickKeyHex, 'hex'), clickUuidOf(a.runId, a.clickAtMs, i))
  const body = JSON.stringify({
    id: orderId,
    name: `#B${orderId}`,
    email: `shopper${i}@example.com`,
    // Half a minute after the click the order carries: inside the attribution window, never before the click.
    created_at: new Date(a.clickAtMs + 30_000).toISOString(),
    currency: 'USD',
    subtotal_price: '100.00',
    total_price: '108.50',
    total_tax: '8.50',
    total_discounts: '0.00',
    landing_site: `/products/vitamin-c-serum?utm_source=skinstack&sk_cid=${cid}`,
    discount_codes: [],
    line_items: [{ id: 1, sku: 'SERUM-30', price: '50.00', quantity: 2 }],
    financial_status: 'paid',
    test: false,
  })
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/paid',
      'x-shopify-webhook-id': webhookIdOf(a.runId, i),
      'x-shopify-hmac-sha256': createHmac('sha256', a.secret).update(body).digest('base64'),
      'x-shopify-shop-domain': 'glow-labs.myshopify.com',
    },
  }
}

const pct = (sorted: Float64Array, p: number) => nearestRank(sorted, p / 100)
const r3 = (n: number) => Math.round(n * 1000) / 1000

function procCpuS(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return null
  }
}

function machineTicks(): { idle: number; total: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    return { idle: (cpu[3] ?? 0) + (cpu[4] ?? 0), total: cpu.reduce((x, y) => x + y, 0) }
  } catch {
    return null
  }
}

async function run(a: LoadArgs): Promise<LoadResult> {
  const tb = performance.now()
  const deliveries = Array.from({ length: a.count }, (_, k) => buildDelivery(a, a.first + k))
  const buildMs = performance.now() - tb
  const latencies = new Float64Array(a.count)
  const statuses: Record<string, number> = {}
  const samples: string[] = []
  const send = async (k: number, startedAt: number) => {
    const d = deliveries[k]!
    let status: string
    let text = ''
    try {
      const r = await fetch(a.url, { method: 'POST', body: d.body, headers: d.headers, keepalive: true })
      text = await r.text()
      status = String(r.status)
    } catch (e) {
      status = 'error'
      text = (e as Error).message
    }
    latencies[k] = performance.now() - startedAt
    statuses[status] = (statuses[status] ?? 0) + 1
    if (status !== '200' && status !== '202' && samples.length < 5)
      samples.push(`${status} ${text.slice(0, 300)}`)
  }
  let next = 0
  const worker = async () => {
    while (next < deliveries.length) {
      const k = next++
      await send(k, performance.now())
    }
  }
  const openLoop = async (rate: number) => {
    const inFlight: Promise<void>[] = []
    const start = performance.now() + 20
    for (let k = 0; k < deliveries.length; k++) {
      const at = start + (k * 1000) / rate
      const wait = at - performance.now()
      if (wait > 1) await Bun.sleep(wait)
      inFlight.push(send(k, Math.min(at, performance.now())))
    }
    await Promise.all(inFlight)
  }
  const cpu0 = process.cpuUsage()
  const srv0 = procCpuS(a.serverPid)
  const m0 = machineTicks()
  const t0 = performance.now()
  if (a.rate) await openLoop(a.rate)
  else await Promise.all(Array.from({ length: a.concurrency }, worker))
  const wallMs = performance.now() - t0
  const srv1 = procCpuS(a.serverPid)
  const m1 = machineTicks()
  const cpu1 = process.cpuUsage(cpu0)
  const sorted = latencies.slice().sort()
  const status = readFileSync('/proc/self/status', 'utf8')
  return {
    n: a.count,
    wallMs: Math.round(wallMs),
    rps: Math.round(a.count / (wallMs / 1000)),
    p50Ms: r3(pct(sorted, 50)),
    p90Ms: r3(pct(sorted, 90)),
    p99Ms: r3(pct(sorted, 99)),
    p999Ms: r3(pct(sorted, 99.9)),
    maxMs: r3(sorted[sorted.length - 1] ?? 0),
    statuses,
    samples,
    buildMs: Math.round(buildMs),
    serverCpuPct:
      srv0 !== null && srv1 !== null ? Math.round(((srv1 - srv0) / (wallMs / 1000)) * 1000) / 10 : null,
    loadCpuPct: Math.round(((cpu1.user + cpu1.system) / 1000 / wallMs) * 1000) / 10,
    machineBusyPct:
      m0 && m1 && m1.total > m0.total
        ? Math.round((1 - (m1.idle - m0.idle) / (m1.total - m0.total)) * 1000) / 10
        : null,
    loadCpusAllowed: /^Cpus_allowed_list:\s+(\S+)/m.exec(status)?.[1] ?? '?',
  }
}

if (import.meta.main) {
  const args = JSON.parse(Bun.argv[2] ?? '{}') as LoadArgs
  console.log(JSON.stringify(await run(args)))
}
