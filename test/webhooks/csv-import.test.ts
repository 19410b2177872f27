import { describe, expect, test } from 'bun:test'
import { createRuntime } from '../../src/app.ts'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { openPostgres } from '../../src/db/postgres.ts'
import { createLogger } from '../../src/shared/logger.ts'
import { testAdminKey, testRuntime } from '../helpers/app.ts'
import { one, settleFixture } from '../helpers/settle.ts'

// CSV reports through the same exactly-once pipeline as webhooks: the demo merchant, the demo program (20 %,
// platform fee 20 %) and its influencer 'ava', whose handle in a report's sub id column attributes the sale.
const fx = await settleFixture()
const { store, app } = fx
const AUTH = { authorization: `Bearer ${testAdminKey}` }

const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  app.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
const upload = (csv: string | Uint8Array, q = 'merchant=glow-labs&network=amazon', headers = {}) =>
  app.handle(
    new Request(`http://localhost/api/v1/imports/conversions?${q}`, {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv', ...AUTH, ...headers },
    }),
  )
const json = async (res: Response) => (await res.json()) as Record<string, any>
const count = async (table: string, where = 'true') =>
  Number((await one<{ n: string }>(store, `select count(*)::text as n from ${table} where ${where}`)).n)
const totals = async () => ({
  events: await count('webhook_events'),
  conversions: await count('conversions'),
  commissions: await count('commissions'),
  reversals: await count('reversals'),
  ledger: await count('ledger_entries'),
})

const AMAZON = {
  columns: {
    order_id: 'Order ID',
    occurred_at: 'Date Shipped',
    total: 'Revenue($)',
    kind: 'Type',
    refund_id: 'Return ID',
    sub_id: 'Tracking ID',
    coupon: 'Promo',
  },
  defaultCurrency: 'usd',
  kindValues: { Shipped: 'sale', Returned: 'refund' },
}
const HEADER = 'Order ID,Date Shipped,Revenue($),Type,Return ID,Tracking ID,Promo,Name'

describe('column mappings', () => {
  test('GET before any PUT → 404; PUT names what is missing (422), then saves; GET returns it', async () => {
    expect((await api('GET', '/api/v1/imports/mappings/glow-labs/amazon')).status).toBe(404)
    const incomplete = await api('PUT', '/api/v1/imports/mappings/glow-labs/amazon', {
      columns: { order_id: 'Order ID' },
    })
    expect(incomplete.status).toBe(422)
    expect((await json(incomplete)).error).toMatchObject({
      code: 'incomplete_mapping',
      details: { fields: ['columns.occurred_at', 'columns.total', 'columns.currency or defaultCurrency'] },
    })
    const saved = await api('PUT', '/api/v1/imports/mappings/glow-labs/amazon', AMAZON)
    expect(saved.status).toBe(200)
    const view = await json(saved)
    expect(view).toMatchObject({ merchant: 'glow-labs', network: 'amazon' })
    expect(view.mapping).toEqual({ ...AMAZON, defaultCurrency: 'USD' })
    const got = await api('GET', '/api/v1/imports/mappings/glow-labs/amazon')
    expect(got.status).toBe(200)
    expect((await json(got)).mapping).toEqual(view.mapping)
  })

  test.each([
    ['no key', 'GET', '/api/v1/imports/mappings/glow-labs/amazon', undefined, { authorization: '' }, 401],
    ['unknown merchant', 'PUT', '/api/v1/imports/mappings/nobody/amazon', AMAZON, {}, 404],
    ['upper-case network', 'PUT', '/api/v1/imports/mappings/glow-labs/Amazon', AMAZON, {}, 400],
  ])('%s → %d', async (_label, method, path, body, headers, status) => {
    expect((await api(method, path, body, headers)).status).toBe(status)
  })

  test('a key the schema does not know is dropped, and the saved mapping shown says so', async () => {
    const res = await api('PUT', '/api/v1/imports/mappings/glow-labs/typo', {
      ...AMAZON,
      columns: { ...AMAZON.columns, subid: 'Sub' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).mapping.columns).toEqual(AMAZON.columns)
  })
})

describe('POST /api/v1/imports/conversions', () => {
  test('a sale for ava and its later refund: 20 % commission accrued, then reversed', async () => {
    const csv = [
      HEADER,
      'A-100,2026-03-01 10:00:00,100.00,Shipped,,ava,,"Serum, 30 ml"',
      'A-100,2026-03-05,-100.00,Returned,RET-1,ava,,"Serum, 30 ml"',
    ].join('\r\n')
    const res = await upload(csv)
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      merchant: 'glow-labs',
      network: 'amazon',
      rows: 2,
      created: 2,
      duplicates: 0,
      rejected: 0,
      errors: [],
      errorsTruncated: false,
    })
    const sale = await one<{ id: string; total: string; source: string; sub_id: string }>(
      store,
      `select id, total, source, sub_id from conversions where external_order_id = 'A-100' and kind = 'sale'`,
    )
    expect(sale).toMatchObject({ total: '100.0000', source: 'csv_import', sub_id: 'ava' })
    const commission = await one<Record<string, string>>(
      store,
      `select c.gross_minor::text as gross, c.fee_minor::text as fee, c.net_minor::text as net, c.status,
              a.evidence, (select sum(net_minor) from reversals where commission_id = c.id)::text as reversed
         from commissions c join attributions a on a.id = c.attribution_id where c.conversion_id = $1`,
      [sale.id],
    )
    expect(commission).toEqual({
      gross: '2000',
      fee: '400',
      net: '1600',
      status: 'reversed',
      evidence: 'sub_id',
      reversed: '1600',
    })
    const refund = await one<{ parent: string; total: string; external_event_id: string }>(
      store,
      `select parent_conversion_id as parent, total, external_event_id from conversions where external_order_id = 'A-100' and kind = 'refund'`,
    )
    expect(refund).toEqual({ parent: sale.id, total: '100.0000', external_event_id: 'RET-1' })
    const events = await store.query<{ external_id: string; status: string; source: string }>(
      `select external_id, status, source from webhook_events where source = 'csv_import' order by external_id`,
    )
    expect(events).toEqual([
      { external_id: 'amazon:refund:A-100:RET-1', status: 'processed', source: 'csv_import' },
      { external_id: 'amazon:sale:A-100', status: 'processed', source: 'csv_import' },
    ])
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })

  test('three uploads of one file at once store each row once; uploading it again changes nothing', async () => {
    const csv = [HEADER, 'B-1,2026-03-02,50.00,,,ava,,x', 'B-2,2026-03-02,70.00,,,ava,,y'].join('\n')
    const racing = await Promise.all([upload(csv), upload(csv), upload(`\uFEFF${csv}\n`)])
    const bodies = await Promise.all(racing.map(json))
    expect(bodies.map((b) => b.rows)).toEqual([2, 2, 2])
    expect(bodies.reduce((n, b) => n + b.created, 0)).toBe(2)
    expect(bodies.reduce((n, b) => n + b.duplicates, 0)).toBe(4)
    const before = await totals()
    expect(before.commissions).toBeGreaterThan(0)
    const again = await upload(csv)
    expect(again.status).toBe(200)
    expect(await json(again)).toMatchObject({ rows: 2, created: 0, duplicates: 2, rejected: 0 })
    expect(await totals()).toEqual(before)
    expect(
      await count(
        'commissions c join conversions v on v.id = c.conversion_id',
        `v.external_order_id like 'B-%'`,
      ),
    ).toBe(2)
  })

  test('an order a webhook already reported is one sale: the report row is a duplicate', async () => {
    expect(
      (
        await fx.post({
          type: 'sale',
          order_id: 'C-1',
          occurred_at: new Date().toISOString(),
          currency: 'USD',
          total: '10.00',
        })
      ).status,
    ).toBe(200)
    const res = await json(await upload(`${HEADER}\nC-1,2026-03-02,10.00,,,,,\n`))
    expect(res).toMatchObject({ created: 0, duplicates: 1 })
    expect(await count('conversions', `external_order_id = 'C-1'`)).toBe(1)
  })

  test('bad rows are rejected by row and line; the good ones go through', async () => {
    const csv = [
      HEADER,
      'D-1,2026-03-03,12.50,,,,,ok',
      '"D-2",03/03/2026,12.50,,,,,bad date',
      'D-3,2026-03-03,"1,250.00",,,,,thousands separator',
      'D-4,2026-03-03,5.00,Returned,,,,refund without id',
      'D-5,2026-03-03,5.00',
      '"multi',
      'line note",2026-03-03,abc,,,,,',
      'D-6,2026-03-03,8.00,lead,,,,ok',
    ].join('\n')
    const res = await upload(csv)
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body).toMatchObject({ rows: 7, created: 2, duplicates: 0, rejected: 5 })
    expect(body.errors.map((e: { row: number; line: number }) => [e.row, e.line])).toEqual([
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
      [6, 7],
    ])
    expect(body.errors[0].reason).toContain('occurred_at "03/03/2026"')
    expect(body.errors[2].reason).toContain('needs refund_id')
    expect(body.errors[3].reason).toBe('has 3 fields; the header has 8')
    expect(await count('webhook_events', `external_id like 'amazon:%:D-%'`)).toBe(2)
    expect(await count('conversions', `external_order_id = 'D-6' and kind = 'lead'`)).toBe(1)
  })

  test('every row bad → 422 with the row errors; nothing stored', async () => {
    const before = await totals()
    const res = await upload(`${HEADER}\nE-1,never,1.00,,,,,\n,2026-03-03,1.00,,,,,\n`)
    expect(res.status).toBe(422)
    const { error } = await json(res)
    expect(error.code).toBe('all_rows_rejected')
    expect(error.details).toMatchObject({ rows: 2, rejected: 2, created: 0 })
    expect(error.details.errors.map((e: { row: number }) => e.row)).toEqual([1, 2])
    expect(error.details.errors[1].reason).toContain('order_id is empty')
    expect(await totals()).toEqual(before)
  })

  test.each([
    ['an unterminated quote', `${HEADER}\nF-1,2026-03-03,1.00,,,,,ok\nF-2,2026-03-03,"1.00,,,,,\n`, 3],
    ['a stray quote', `${HEADER}\nF-3,2026-03-03,1.00,,,,,5" screen\n`, 2],
  ])('malformed CSV (%s) → 400 naming line %d, nothing stored', async (_label, csv, line) => {
    const before = await totals()
    const res = await upload(csv)
    expect(res.status).toBe(400)
    const { error } = await json(res)
    expect(error.code).toBe('malformed_csv')
    expect(error.message).toStartWith(`line ${line}: `)
    expect(error.details).toEqual({ line })
    expect(await totals()).toEqual(before)
  })

  test('a semicolon report with a currency column, through a second network mapping', async () => {
    const mapping = {
      columns: { order_id: 'order', occurred_at: 'date', total: 'amount', currency: 'ccy', subtotal: 'net' },
      delimiter: ';',
    }
    expect((await api('PUT', '/api/v1/imports/mappings/glow-labs/levanta', mapping)).status).toBe(200)
    const res = await upload(
      'Order;Date;Amount;CCY;Net\r\nL-1;2026-03-04T12:00:00+01:00;"9,99";EUR;8.00\r\nL-2;2026-03-04;12.00;eur;10.00\r\n',
      'merchant=glow-labs&network=levanta',
    )
    const body = await json(res)
    expect(body).toMatchObject({ rows: 2, created: 1, rejected: 1 })
    expect(body.errors[0].reason).toContain('total "9,99" is not a plain decimal')
    expect(
      await one(
        store,
        `select currency, total, subtotal, (occurred_at at time zone 'UTC')::text as at from conversions where external_order_id = 'L-2'`,
      ),
    ).toEqual({ currency: 'EUR', total: '12.0000', subtotal: '10.0000', at: '2026-03-04 00:00:00' })
  })

  test.each([
    ['unknown merchant', 'merchant=nobody&network=amazon', HEADER, {}, 404, 'unknown_merchant'],
    ['no mapping saved', 'merchant=glow-labs&network=impact', HEADER, {}, 422, 'no_mapping'],
    [
      'header lacks a mapped column',
      'merchant=glow-labs&network=amazon',
      'Order ID,Revenue($)\nx,1',
      {},
      422,
      'mapping_mismatch',
    ],
    ['empty file', 'merchant=glow-labs&network=amazon', '', {}, 400, 'malformed_csv'],
    [
      'JSON, not CSV',
      'merchant=glow-labs&network=amazon',
      '{}',
      { 'content-type': 'application/json' },
      415,
      'unsupported_media_type',
    ],
    ['no network', 'merchant=glow-labs', HEADER, {}, 400, 'invalid_request'],
    [
      'no admin key',
      'merchant=glow-labs&network=amazon',
      HEADER,
      { authorization: 'Bearer wrong' },
      401,
      undefined,
    ],
  ])('%s → %d', async (_label, q, csv, headers, status, code) => {
    const res = await upload(csv, q, headers)
    expect(res.status).toBe(status)
    if (code) expect((await json(res)).error.code).toBe(code)
  })

  test('no mapping saved → 422 naming what is missing', async () => {
    const { error } = await json(await upload(HEADER, 'merchant=glow-labs&network=impact'))
    expect(error.message).toContain('PUT /api/v1/imports/mappings/glow-labs/impact')
    expect(error.details).toEqual({ fields: ['a saved mapping'] })
  })

  test('a row whose processing fails is kept as failed and reported; uploading again completes it', async () => {
    await store.query(`create function boom() returns trigger language plpgsql as $$
      begin if new.external_order_id = 'G-2' then raise exception 'G-2 refused by a test trigger'; end if; return new; end $$`)
    await store.query(`create trigger boom before insert on conversions for each row execute function boom()`)
    const csv = `${HEADER}\nG-1,2026-03-06,20.00,,,ava,,\nG-2,2026-03-06,30.00,,,ava,,\n`
    const first = await json(await upload(csv))
    expect(first).toMatchObject({ rows: 2, created: 1, rejected: 1 })
    expect(first.errors[0]).toMatchObject({ row: 2, line: 3 })
    expect(first.errors[0].reason).toContain('G-2 refused by a test trigger')
    const failed = await one<{ id: string; status: string; error: string; attempts: number }>(
      store,
      `select id, status, error, attempts from webhook_events where external_id = 'amazon:sale:G-2'`,
    )
    expect(failed).toMatchObject({ id: first.errors[0].eventId, status: 'failed', attempts: 1 })
    expect(failed.error).toBe('G-2 refused by a test trigger')
    await store.query(`drop trigger boom on conversions`)
    expect(await json(await upload(csv))).toMatchObject({ created: 1, duplicates: 1, rejected: 0 })
    expect(
      await one(store, `select status, error, attempts from webhook_events where id = $1`, [failed.id]),
    ).toEqual({ status: 'processed', error: null, attempts: 2 })
    expect(await count('conversions', `external_order_id = 'G-2'`)).toBe(1)
    expect(
      await count(
        'commissions c join conversions v on v.id = c.conversion_id',
        `v.external_order_id = 'G-2'`,
      ),
    ).toBe(1)
  })
})

test('Postgres unreachable → 503, nothing half-written', async () => {
  const down = openPostgres({
    url: 'postgres://postgres@127.0.0.1:1/none',
    poolSize: 1,
    connectTimeoutSeconds: 1,
  })
  const rt = createRuntime({ config: fx.config, store: down, log: createLogger('silent') })
  const res = await rt.app.handle(
    new Request('http://localhost/api/v1/imports/conversions?merchant=glow-labs&network=amazon', {
      method: 'POST',
      body: `${HEADER}\nZ-1,2026-03-01,1.00,,,,,\n`,
      headers: { 'content-type': 'text/csv', ...AUTH },
    }),
  )
  expect(res.status).toBe(503)
  expect((await json(res)).error.code).toBe('unavailable')
  await down.close()
})

describe('body limit', () => {
  test('up to 8 MiB for this path (merchant in the query string); beyond → 413', async () => {
    const rt = testRuntime(store, fx.url)
    const server = rt.app.listen({ port: 0, hostname: '127.0.0.1' }).server
    try {
      const url = `http://127.0.0.1:${server?.port}/api/v1/imports/conversions?merchant=glow-labs&network=amazon`
      const note = 'n'.repeat(600_000)
      const big = `${HEADER}\n${['H-1', 'H-2', 'H-3'].map((o) => `${o},2026-03-07,1.00,,,,,${note}`).join('\n')}\n`
      expect(big.length).toBeGreaterThan(1024 * 1024)
      const ok = await fetch(url, {
        method: 'POST',
        body: big,
        headers: { 'content-type': 'text/csv', ...AUTH },
      })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toMatchObject({ rows: 3, created: 3 })
      const tooBig = await fetch(url, {
        method: 'POST',
        body: 'x'.repeat(8 * 1024 * 1024 + 1),
        headers: { 'content-type': 'text/csv', ...AUTH },
      })
      expect(tooBig.status).toBe(413)
      expect(await tooBig.json()).toEqual({
        error: { code: 'body_too_large', message: 'request body exceeds 8388608 bytes' },
      })
    } finally {
      await rt.app.stop(true)
    }
  })
})
