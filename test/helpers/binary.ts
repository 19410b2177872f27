import { copyFileSync, existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import postgres from 'postgres'

const ROOT = resolve(import.meta.dir, '../..')
const DIST = join(ROOT, 'dist', 'skinstack')

/** The compiled binary copied alone into a fresh empty directory, as an operator would deploy it. */
export function isolatedBinary(): { bin: string; dir: string } {
  if (!existsSync(DIST)) {
    const r = Bun.spawnSync(['bun', 'run', 'build'], { cwd: ROOT, stdout: 'inherit', stderr: 'inherit' })
    if (r.exitCode !== 0) throw new Error('bun run build failed')
  }
  const dir = mkdtempSync(join(tmpdir(), 'skinstack-bin-'))
  const bin = join(dir, 'skinstack')
  copyFileSync(DIST, bin)
  return { bin, dir }
}

/** Only what the binary needs: no inherited DATABASE_URL or secrets from the developer's shell. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra }
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export async function run(
  bin: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<RunResult> {
  return runCommand([bin, ...args], env, cwd)
}

const MAIN = join(import.meta.dir, '..', '..', 'src', 'main.ts')

/** The CLI from source (`bun src/main.ts …`): exit codes and output without rebuilding the binary. */
export function runSource(args: string[], env: Record<string, string>): Promise<RunResult> {
  return runCommand([process.execPath, MAIN, ...args], env)
}

async function runCommand(cmd: string[], env: Record<string, string>, cwd?: string): Promise<RunResult> {
  const p = Bun.spawn(cmd, { env: cleanEnv(env), cwd, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ])
  return { code, stdout, stderr }
}

export interface Server {
  readonly base: string
  readonly proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>
  readonly logs: string[]
  /** Everything the process wrote to stderr, once it has exited. */
  readonly stderr: Promise<string>
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>
  [Symbol.asyncDispose](): Promise<void>
}

/** Starts `serve` on an OS-chosen port and resolves once it logs that it is listening. */
export async function startServe(
  bin: string,
  env: Record<string, string>,
  cwd: string,
  args: string[] = [],
): Promise<Server> {
  const proc = Bun.spawn([bin, 'serve', ...args], {
    env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', ...env }),
    cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const logs: string[] = []
  const stderr = new Response(proc.stderr).text()
  const logsDone = Promise.withResolvers<void>()
  const listening = new Promise<string>((resolveUrl, reject) => {
    void (async () => {
      let buf = ''
      for await (const chunk of proc.stdout) {
        buf += new TextDecoder().decode(chunk)
        let nl = buf.indexOf('\n')
        while (nl >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          logs.push(line)
          const rec = JSON.parse(line) as { msg?: string; url?: string }
          if (rec.msg === 'listening' && rec.url) resolveUrl(rec.url)
          nl = buf.indexOf('\n')
        }
      }
      logsDone.resolve()
      reject(new Error(`serve exited before listening (code ${await proc.exited}): ${await stderr}`))
    })()
  })
  const base = await listening
  // Resolves once the process has exited and every line it wrote has been read into `logs`.
  const stop = async () => {
    proc.kill('SIGTERM')
    const code = await proc.exited
    await logsDone.promise
    return code
  }
  return {
    base,
    proc,
    logs,
    stderr,
    stop,
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null) {
        proc.kill('SIGKILL')
        await proc.exited
      }
    },
  }
}

/** Rows in clicks of the database at `url` (a connection of its own: the binary under test holds the others). */
export async function storedClicks(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const [r] = await sql`select count(*)::int as n from clicks`
    return r?.n as number
  } finally {
    await sql.end()
  }
}
