// What every load bench owns for one run: a database name, a temp dir, and a cleanup that stops the
// processes it started, drops the database (unless --keep-db) and removes the dir — once, on normal exit,
// failure or SIGINT/SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dropBenchDb } from './db.ts'
import { stopAll } from './procs.ts'

export function benchScratch(tmpPrefix: string) {
  const dbName = `skinstack_bench_${process.pid}`
  const tmp = mkdtempSync(join(tmpdir(), tmpPrefix))
  /** Set by the bench: where the database lives once created, and whether to keep it. */
  const state = { databaseUrl: undefined as string | undefined, keepDb: false, interrupted: false }
  let cleaning: Promise<void> | undefined
  const cleanup = (): Promise<void> => {
    cleaning ??= (async () => {
      await stopAll()
      if (state.databaseUrl && !state.keepDb)
        await dropBenchDb(state.databaseUrl, dbName).catch((e: Error) =>
          console.error(`could not drop ${dbName}: ${e.message}`),
        )
      if (state.databaseUrl && state.keepDb) console.error(`kept database ${dbName}`)
      rmSync(tmp, { recursive: true, force: true })
    })()
    return cleaning
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      state.interrupted = true
      console.error(`\n${sig}: stopping the servers and dropping ${dbName}…`)
      void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143))
    })
  return { dbName, tmp, state, cleanup }
}
