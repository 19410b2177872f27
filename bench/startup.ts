// Startup facts of the compiled binary: size, cold start to first 200, idle RSS, on PGlite and on Postgres.
// Usage: bun bench/startup.ts   (builds dist/skinstack first if missing; Postgres from BENCH_DATABASE_URL or :5432)
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import postgres from 'postgres'

const root = resolve(import.meta.dir, '..')
const dist = join(root, 'dist', 'skinstack')
if (!existsSync(dist)) Bun.spawnSync(['bun', 'run', 'build'], { cwd: root, stdout: 'inherit' })
const dir = mkdtempSync(join(tmpdir(), 'skinstack-startup-'))
const bin = join(dir, 'skinstack')
copyFileSync(dist, bin)

const secrets = {
  CLICK_ID_KEYS: `b1:${'11'.repeat(32)}`,
  IP_HASH_SALT: '22'.repeat(16),
  MASTER_KEY: '33'.repeat(32),
}

async function coldStart(label: string, env: Record<string, string>) {
  const port = 30000 + Math.floor(Math.random() * 20000)
  const t0 = performance.now()
  const proc = Bun.spawn([bin, 'serve'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdout: 'ignore',
    stderr: 'inherit',
  })
  let ms = Number.NaN
  for (let i = 0; i < 6000; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) {
      ms = performance.now() - t0
      break
    }
    await Bun.sleep(5)
  }
  await Bun.sleep(2000)
  const status = await Bun.file(`/proc/${proc.pid}/status`).text()
  const rssMiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024
  proc.kill('SIGTERM')
  const code = await proc.exited
  return { label, coldStartMs: Math.round(ms), idleRssMiB: Math.round(rssMiB), exitOnSigterm: code }
}

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const dbName = `skinstack_startup_${process.pid}`
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
await admin.unsafe(`create database ${dbName}`)
const dbUrl = new URL(adminUrl)
dbUrl.pathname = `/${dbName}`

const pgliteDir = join(dir, 'data')
mkdirSync(pgliteDir, { recursive: true })
const results = [
  await coldStart('pglite, empty data dir (initdb + migrate + seed)', { DATA_DIR: pgliteDir }),
  await coldStart('pglite, existing data', { DATA_DIR: pgliteDir }),
  await coldStart('postgres, empty database (migrate)', { ...secrets, DATABASE_URL: dbUrl.toString() }),
  await coldStart('postgres, migrated', { ...secrets, DATABASE_URL: dbUrl.toString() }),
]
await admin.unsafe(`drop database ${dbName} with (force)`)
await admin.end()

const sizeMiB = Math.round((statSync(bin).size / 1048576) * 10) / 10
console.log(`binary: ${sizeMiB} MiB (${statSync(bin).size} bytes), bun ${Bun.version}`)
console.table(results)
mkdirSync(join(root, 'bench', 'results'), { recursive: true })
writeFileSync(
  join(root, 'bench', 'results', 'startup.json'),
  `${JSON.stringify({ at: new Date().toISOString(), binaryBytes: statSync(bin).size, results }, null, 2)}\n`,
)
