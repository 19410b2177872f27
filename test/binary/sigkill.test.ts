import { describe, expect, test } from 'bun:test'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run, startServe, storedClicks } from '../helpers/binary.ts'
import { createTestDb } from '../helpers/databases.ts'
import { load } from '../helpers/load.ts'

const { bin, dir } = isolatedBinary()
const slugs = ['/l/glow-serum', '/l/glow-spf', '/l/glow-toner', '/c/ava/summer-glow/ig-bio']
const CONCURRENCY = 64

/** Serves load until `killAt` redirects are done, SIGKILLs the binary, restarts it on the same journal, stops it. */
async function killMidLoad(extraEnv: Record<string, string>, killAt: number) {
  const { url } = await createTestDb()
  const env = {
    ...testSecretsEnv,
    DATABASE_URL: url,
    LOG_LEVEL: 'info',
    CLICK_JOURNAL_DIR: `${dir}/journal-${crypto.randomUUID()}`,
    ...extraEnv,
  }
  expect((await run(bin, ['seed'], env, dir)).code).toBe(0)
  const first = await startServe(bin, env, dir)
  let killed = false
  const r = await load(first.base, slugs, {
    total: killAt * 3,
    concurrency: CONCURRENCY,
    onProgress: (done) => {
      if (done >= killAt && !killed) {
        killed = true
        first.proc.kill('SIGKILL')
      }
    },
  })
  expect(await first.proc.exited).not.toBe(0)
  const served = r.status.get(302) ?? 0
  expect([...r.status.keys()].filter((s) => s !== 302)).toEqual([])
  // What the killed process had stored, before the next one recovers anything.
  const storedBeforeRestart = await storedClicks(url)
  const second = await startServe(bin, env, dir)
  const recoveredLog = second.logs.find((l) => l.includes('recovered clicks'))
  const code = await second.stop()
  if (code !== 0) console.log(second.logs.join('\n'), await second.stderr)
  expect(code).toBe(0)
  return { served, storedBeforeRestart, stored: await storedClicks(url), recoveredLog, logs: second.logs }
}

describe('SIGKILL under load (the real binary)', () => {
  test('with the click WAL: every click answered with a 302 is stored after the restart, once', async () => {
    const r = await killMidLoad({}, 8_000)
    console.log(
      `SIGKILL after ${r.served} 302s: ${r.storedBeforeRestart} stored by the killed process, ${r.stored} after the restart`,
    )
    expect(r.served).toBeGreaterThanOrEqual(8_000 - CONCURRENCY)
    // Requests in flight at the kill may have been written to the WAL without their 302 reaching the client.
    expect(r.stored).toBeGreaterThanOrEqual(r.served)
    expect(r.stored).toBeLessThanOrEqual(r.served + CONCURRENCY)
  }, 120_000)

  test('without it (CLICK_WAL_SLOTS=0) the ring dies with the process: the loss the WAL prevents', async () => {
    // The ring holds ~10 ms of clicks; a kill usually lands with some in it or in a COPY not yet committed.
    let lost = 0
    for (let attempt = 0; attempt < 3 && lost === 0; attempt++) {
      const r = await killMidLoad({ CLICK_WAL_SLOTS: '0' }, 8_000)
      lost = r.served - r.stored
      console.log(`no WAL, attempt ${attempt + 1}: ${r.served} 302s, ${r.stored} stored, ${lost} lost`)
      expect(r.recoveredLog).toBeUndefined()
    }
    expect(lost).toBeGreaterThan(0)
  }, 300_000)
})
