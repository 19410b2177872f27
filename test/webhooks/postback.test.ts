import { describe, expect, test } from 'bun:test'
import { signClickId } from '../../src/shared/click-id.ts'
import { webhookFixture } from '../helpers/webhooks.ts'

const TOKEN = 'pb_token_0123456789abcdef'
const { store, config, app } = await webhookFixture([{ source: 'postback', secret: TOKEN }])
const key = config.secrets.clickIdKeys[0] ?? { kid: '', secret: new Uint8Array() }
const clickUuid = Bun.randomUUIDv7()
const click = signClickId(key, clickUuid)

const qs = (over: Record<string, string | undefined> = {}) => {
  const p = { click_id: click, order_id: 'NET-1', amount: '59.90', currency: 'usd', token: TOKEN, ...over }
  return new URLSearchParams(
    Object.entries(p).filter((e): e is [string, string] => e[1] !== undefined),
  ).toString()
}
const get = (query: string) => app.handle(new Request(`http://localhost/postback/glow-labs?${query}`))

describe('GET|POST /postback/:merchant', () => {
  test('a postback with our click id is one sale; the same order again is a 202', async () => {
    const first = await get(qs())
    expect(first.status).toBe(200)
    const again = await app.handle(
      new Request('http://localhost/postback/glow-labs', {
        method: 'POST',
        body: qs(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    )
    expect(again.status).toBe(202)
    const rows = await store.query<{ total: string; currency: string; click_id: string }>(
      `select total, currency, click_id from conversions where external_order_id = 'NET-1'`,
    )
    expect(rows).toEqual([{ total: '59.9000', currency: 'USD', click_id: clickUuid }])
  })

  test.each([
    ['wrong token', { token: 'nope' }, 401, 'bad_signature'],
    ['no token', { token: undefined }, 401, 'missing_signature'],
    [
      'forged click id',
      {
        click_id: `${click.slice(0, -5)}${click.at(-5) === 'A' ? 'B' : 'A'}${click.slice(-4)}`,
        order_id: 'NET-2',
      },
      401,
      'invalid_click_id',
    ],
    [
      'click id from another key',
      {
        click_id: signClickId({ kid: 't1', secret: new Uint8Array(32).fill(9) }, clickUuid),
        order_id: 'NET-3',
      },
      401,
      'invalid_click_id',
    ],
    ['missing amount', { amount: undefined, order_id: 'NET-4' }, 422, 'missing_fields'],
    ['float-looking garbage amount', { amount: '1e3', order_id: 'NET-5' }, 422, 'invalid_fields'],
  ])('%s → refused, nothing stored', async (_l, over, status, code) => {
    const before = await store.query<{ n: number }>('select count(*)::int as n from webhook_events')
    const res = await get(qs(over))
    expect(res.status).toBe(status as number)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code as string)
    expect(await store.query('select count(*)::int as n from webhook_events')).toEqual(before)
  })
})
