// Facts about the machine the suite needs: is the local Postgres cluster up, and how much CPU the hypervisor stole.
import { cpus, release } from 'node:os'
import { existsSync, readdirSync, readFileSync } from 'node:fs'

/** Starts the Debian cluster on 5432 when one is installed but down; a no-op elsewhere or when it runs. */
export function startPostgresCluster(): void {
  const etc = '/etc/postgresql'
  if (!existsSync(etc) || !Bun.which('pg_ctlcluster')) return
  const version = readdirSync(etc).sort((a, b) => Number(b) - Number(a))[0]
  if (!version) return
  const status = Bun.spawnSync(['pg_ctlcluster', version, 'main', 'status'], {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (status.exitCode === 0) return
  console.error(`starting Postgres ${version}/main (pg_ctlcluster)…`)
  Bun.spawnSync(['pg_ctlcluster', '--skip-systemctl-redirect', version, 'main', 'start'], {
    stdout: 'inherit',
    stderr: 'inherit',
  })
}

/** The aggregate "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal (jiffies). */
export function cpuTimes(): number[] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
    return line.trim().split(/\s+/).slice(1, 9).map(Number)
  } catch {
    return []
  }
}

export function stealPct(a: number[], b: number[]): number | null {
  if (a.length < 8 || b.length < 8) return null
  const d = b.map((v, i) => v - (a[i] ?? 0))
  const total = d.reduce((x, y) => x + y, 0)
  return total > 0 ? Math.round(((d[7] ?? 0) / total) * 1000) / 10 : null
}

/** The `machine` block of every results file. */
export function machineInfo(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    kernel: release(),
    bunVersion: Bun.version,
    ...extra,
  }
}
