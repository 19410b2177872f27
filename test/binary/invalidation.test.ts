import { expect, test } from 'bun:test'
import { testAdminKey, testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run, startServe } from '../helpers/binary.ts'
import { createTestDb } from '../helpers/databases.ts'

const { bin, dir } = isolatedBinary()

test('two binaries, one database: an update through one reaches the other', async () => {
  const { url, store } = await createTestDb()
  const env = { ...testSecretsEnv, DATABASE_URL: url, LOG_LEVEL: 'info', CLICK_JOURNAL_DIR: `${dir}/j-inv` }
  expect((await run(bin, ['seed'], env, dir)).code).toBe(0)
  await using a = await startServe(bin, { ...env, CLICK_JOURNAL_DIR: `${dir}/j-a` }, dir)
  await using b = await startServe(bin, { ...env, CLICK_JOURNAL_DIR: `${dir}/j-b` }, dir)
  expect(a.base).not.toBe(b.base)
  const [link] = await store.query<{ id: string }>(`select id from tracking_links where slug = 'glow-toner'`)
  const locationAtB = async () =>
    (await fetch(`${b.base}/l/glow-toner`, { redirect: 'manual' })).headers.get('location') ?? ''

  const lags: number[] = []
  for (let round = 0; round < 20; round++) {
    const target = `https://glowlabs.example/round-${round}`
    expect(await locationAtB()).not.toStartWith(`${target}?`)
    const res = await fetch(`${a.base}/api/v1/links/${link?.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${testAdminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ destinationUrl: target }),
    })
    expect(res.status).toBe(200)
    const committed = performance.now()
    while (!(await locationAtB()).startsWith(`${target}?`)) {
      if (performance.now() - committed > 2000)
        throw new Error(`round ${round}: B still serves the old destination`)
    }
    lags.push(performance.now() - committed)
  }
  lags.sort((x, y) => x - y)
  console.log(
    `update on A → B serves it: p50 ${lags[10]?.toFixed(1)} ms, max ${lags.at(-1)?.toFixed(1)} ms over ${lags.length} rounds`,
  )
  expect(await a.stop()).toBe(0)
  expect(await b.stop()).toBe(0)
}, 60_000)
