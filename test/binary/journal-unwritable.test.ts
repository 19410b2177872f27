import { afterAll, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run, startServe, storedClicks } from '../helpers/binary.ts'
import { load } from '../helpers/load.ts'
import { startThrowawayCluster } from '../helpers/postgres-server.ts'

const { bin, dir } = isolatedBinary()
const slugs = ['/l/glow-serum', '/l/glow-spf', '/l/glow-toner', '/c/ava/summer-glow/ig-bio']
const cluster = await startThrowawayCluster()
afterAll(() => cluster.stop())

const readyz = async (base: string) => {
  const res = await fetch(`${base}/readyz`)
  return { status: res.status, body: (await res.json()) as { checks: { clicks: Record<string, unknown> } } }
}

test('journal unwritable while Postgres is down: redirects go on, /readyz and the log say so, nothing is lost', async () => {
  const url = cluster.adminUrl
  // A directory that can never be created, whoever runs the test (root ignores permissions, not ENOTDIR).
  writeFileSync(`${dir}/not-a-dir`, '')
  const env = {
    ...testSecretsEnv,
    DATABASE_URL: url,
    LOG_LEVEL: 'info',
    CLICK_JOURNAL_DIR: `${dir}/not-a-dir/journal`,
  }
  expect((await run(bin, ['migrate'], env, dir)).code).toBe(0)
  expect((await run(bin, ['seed'], env, dir)).code).toBe(0)
  await using server = await startServe(bin, env, dir)
  // Without a writable directory there is no WAL either, and the log says why.
  expect(server.logs.some((l) => l.includes('no click WAL'))).toBe(true)
  const warm = await load(server.base, slugs, { total: slugs.length * 2, concurrency: 1 })
  expect(warm.status.get(302)).toBe(slugs.length * 2)
  const healthy = await readyz(server.base)
  expect(healthy.status).toBe(200)
  expect(healthy.body.checks.clicks).toMatchObject({ ok: true, wal: false, unsaved: 0 })

  cluster.pause()
  const during = await load(server.base, slugs, { total: 2_000, concurrency: 16 })
  expect(during.errors).toBe(0)
  expect([...during.status.keys()]).toEqual([302])
  let down = await readyz(server.base)
  for (let i = 0; i < 50 && down.body.checks.clicks.ok !== false; i++) {
    await Bun.sleep(100)
    down = await readyz(server.base)
  }
  expect(down.status).toBe(503)
  expect(down.body.checks.clicks).toMatchObject({ ok: false, postgres: false, dropped: 0 })
  expect(String(down.body.checks.clicks.journalError)).toContain('ENOTDIR')
  expect(down.body.checks.clicks.unsaved).toBeGreaterThan(0)
  expect(server.logs.some((l) => l.includes('cannot write the click journal'))).toBe(true)

  cluster.start()
  const served = slugs.length * 2 + (during.status.get(302) ?? 0)
  for (let i = 0; i < 200 && (await storedClicks(url).catch(() => -1)) < served; i++) await Bun.sleep(100)
  const back = await readyz(server.base)
  // Postgres has every click, but the journal directory still cannot exist: the check stays red, saying why.
  expect(back.body.checks.clicks).toMatchObject({ ok: false, postgres: true, unsaved: 0, dropped: 0 })
  expect(String(back.body.checks.clicks.journalError)).toContain('ENOTDIR')
  // The operator frees the path: the next probe finds the journal writable and the check clears.
  rmSync(`${dir}/not-a-dir`)
  let fixed = await readyz(server.base)
  for (let i = 0; i < 50 && fixed.body.checks.clicks.ok !== true; i++) {
    await Bun.sleep(100)
    fixed = await readyz(server.base)
  }
  expect(fixed.body.checks.clicks).toMatchObject({ ok: true, postgres: true })
  expect(await server.stop()).toBe(0)
  expect(await storedClicks(url)).toBe(served)
}, 120_000)
