import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'

/** Where the test run's Postgres is, and how to stop it if the run started it. */
export interface PgServer {
  adminUrl: string
  stop(): Promise<void>
}

/** A private cluster a test may stop and start at will (outages) without disturbing other tests. */
export interface ThrowawayCluster extends PgServer {
  /** Stops the server but keeps its data, so start() brings the same databases back. */
  pause(): void
  start(): void
}

async function answers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  } finally {
    await sql.end({ timeout: 1 })
  }
}

/** TEST_DATABASE_URL, else the machine's Postgres on 127.0.0.1:5432, else a throwaway cluster made with initdb. */
export async function findOrStartPostgres(env: Record<string, string | undefined>): Promise<PgServer> {
  const given = env.TEST_DATABASE_URL
  if (given) {
    if (!(await answers(given))) throw new Error(`TEST_DATABASE_URL does not answer: ${given}`)
    return { adminUrl: given, stop: async () => {} }
  }
  const local = 'postgres://postgres@127.0.0.1:5432/postgres'
  if (await answers(local)) return { adminUrl: local, stop: async () => {} }
  return startThrowawayCluster()
}

function findPgBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin')
  throw new Error(
    'no Postgres answers on 127.0.0.1:5432 and no initdb under /usr/lib/postgresql to start one',
  )
}

export async function startThrowawayCluster(): Promise<ThrowawayCluster> {
  const bin = findPgBin()
  const dir = mkdtempSync(join(tmpdir(), 'skinstack-pg-'))
  const port = 20000 + Math.floor(Math.random() * 20000)
  // initdb refuses to run as root; the postgres system user owns the throwaway cluster instead.
  const asPg = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : []
  if (asPg.length) Bun.spawnSync(['chown', 'postgres:postgres', dir])
  const run = (cmd: string[]) => {
    const r = Bun.spawnSync([...asPg, ...cmd], { stdout: 'pipe', stderr: 'pipe' })
    if (r.exitCode !== 0) throw new Error(`${cmd[0]} failed: ${r.stderr.toString()}`)
  }
  run([
    join(bin, 'initdb'),
    '-D',
    join(dir, 'data'),
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ])
  const start = () =>
    run([
      join(bin, 'pg_ctl'),
      '-D',
      join(dir, 'data'),
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`,
      'start',
    ])
  const pause = () => run([join(bin, 'pg_ctl'), '-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop'])
  start()
  return {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    pause,
    stop: async () => {
      pause()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
