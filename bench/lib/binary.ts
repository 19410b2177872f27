// Talking to dist/skinstack from outside: building it, its version, a counted warm-up pass, /metrics.
import { existsSync, statSync } from 'node:fs'
import { slugOf } from './db.ts'

export function ensureBinary(root: string, bin: string, rebuild: boolean): void {
  if (!rebuild && existsSync(bin)) return
  console.error(`building ${bin} (bun run build)…`)
  const r = Bun.spawnSync([process.execPath, 'run', 'build'], {
    cwd: root,
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if (r.exitCode !== 0 || !existsSync(bin)) throw new Error(`bun run build failed (exit ${r.exitCode})`)
}

export function binaryInfo(bin: string): { path: string; version: string; bytes: number; builtAt: string } {
  const r = Bun.spawnSync([bin, 'version'], { stdout: 'pipe', stderr: 'pipe' })
  const st = statSync(bin)
  return {
    path: bin,
    version: r.stdout.toString().trim() || `unknown (exit ${r.exitCode})`,
    bytes: st.size,
    builtAt: st.mtime.toISOString(),
  }
}

export interface PassCounts {
  s302: number
  s404: number
  other: number
  /** Requests that failed on the client side: the server may or may not have served them. */
  failed: number
}

/** GET /l/<slug> once for each of slugs 1..n with a few concurrent clients; every answer counted. */
export async function fetchPass(baseUrl: string, n: number, concurrency = 16): Promise<PassCounts> {
  const c: PassCounts = { s302: 0, s404: 0, other: 0, failed: 0 }
  let next = 1
  const worker = async () => {
    while (next <= n) {
      const i = next++
      try {
        const r = await fetch(`${baseUrl}/l/${slugOf(i)}`, { redirect: 'manual' })
        await r.arrayBuffer()
        if (r.status === 302) c.s302++
        else if (r.status === 404) c.s404++
        else c.other++
      } catch {
        c.failed++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return c
}

/**
 * The binary's own count of answers on the redirect route by status, from /metrics (http_requests_total
 * by route and status). Informational, a cross-check of the client-side count; null without the series.
 */
export async function metricsRedirectByStatus(baseUrl: string): Promise<Record<string, number> | null> {
  const text = await fetch(`${baseUrl}/metrics`).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  )
  let byStatus: Record<string, number> | null = null
  for (const line of text.split('\n')) {
    if (!line.startsWith('http_requests_total{')) continue
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'))
    const status = /status="([^"]*)"/.exec(labels)?.[1]
    if (!status || !/route="\/l\//.test(labels)) continue
    byStatus ??= {}
    byStatus[status] =
      (byStatus[status] ?? 0) +
      Number(
        line
          .slice(line.lastIndexOf('}') + 1)
          .trim()
          .split(' ')[0],
      )
  }
  return byStatus
}
