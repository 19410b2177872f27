import { runSource } from '../helpers/binary.ts'
import { describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { verifyLedger } from '../../src/commissions/ledger-verify.ts'
import { EventFailedError } from '../../src/webhooks/pipeline.ts'
import { replayEvent } from '../../src/webhooks/replay.ts'
import { testSecretsEnv } from '../helpers/app.ts'
import { one } from '../helpers/settle.ts'
import { webhookFixture } from '../helpers/webhooks.ts'

// Replay runs a stored event through the same exactly-once pipeline as a delivery. Orders carry sub_id=ava
// in their landing page, so each sale is attributed and earns a commission that must exist exactly once.
const SECRET = 'shpss_replay_secret_0123456789'
const fx = await webhookFixture([{ source: 'shopify', secret: SECRET }])
const { store, config, app, merchantId } = fx

const order = (id: number) =>
  JSON.stringify({
    id,
    created_at: '2026-11-20T10:00:00Z',
    currency: 'USD',
    subtotal_price: '100.00',
    total_price: '100.00',
    landing_site: '/products/vitamin-c-serum?sub_id=ava',
    line_items: [{ sku: 'SERUM-30', price: '100.00', quantity: 1 }],
  })
const shopifyHeaders = (webhookId: string) => ({
  'x-shopify-topic': 'orders/paid',
  'x-shopify-webhook-id': webhookId,
  'x-shopify-shop-domain': 'glow-labs.myshopify.com',
})
const deliver = (webhookId: string, body: string) =>
  app.handle(
    new Request('http://localhost/webhooks/shopify/glow-labs', {
      method: 'POST',
      body,
      headers: {
        ...shopifyHeaders(webhookId),
        'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
      },
    }),
  )

/** A stored event as intake would have kept it after a failed attempt (or with the given status). */
const storeEvent = async (
  o: { source?: string; externalId: string; rawBody: string; headers?: object; signatureValid?: boolean },
  status = 'failed',
) =>
  (
    await one<{ id: string }>(
      store,
      `insert into webhook_events (source, external_id, merchant_id, headers, raw_body, signature_valid, status, attempts, error)
       values ($1, $2, $3, $4, $5, $6, $7, 1, 'connection lost') returning id`,
      [
        o.source ?? 'shopify',
        o.externalId,
        merchantId,
        o.headers ?? shopifyHeaders(o.externalId),
        o.rawBody,
        o.signatureValid ?? true,
        status,
      ],
    )
  ).id

const count = async (table: string, where = 'true') =>
  Number((await one<{ n: string }>(store, `select count(*)::text as n from ${table} where ${where}`)).n)
const totals = async () => ({
  events: await count('webhook_events'),
  conversions: await count('conversions'),
  attributions: await count('attributions'),
  commissions: await count('commissions'),
  ledger: await count('ledger_entries'),
})
const eventRow = (id: string) =>
  one<{ status: string; attempts: number; error: string | null; processed: boolean }>(
    store,
    `select status, attempts, error, processed_at is not null as processed from webhook_events where id = $1`,
    [id],
  )
const replay = (id: string) => replayEvent({ store, config }, id)
const commissionsOfOrder = (orderId: string) =>
  count('commissions c join conversions v on v.id = c.conversion_id', `v.external_order_id = '${orderId}'`)

describe('replayEvent', () => {
  test('an event that was processed changes nothing and says so', async () => {
    const res = await deliver('wh-done', order(1001))
    expect(res.status).toBe(200)
    const { eventId, conversionIds } = (await res.json()) as { eventId: string; conversionIds: string[] }
    const before = await totals()
    const row = await eventRow(eventId)
    const r = await replay(eventId)
    expect(r).toEqual({
      kind: 'already_processed',
      eventId,
      source: 'shopify',
      status: 'processed',
      conversionIds,
      created: 0,
    })
    expect(await totals()).toEqual(before)
    expect(await eventRow(eventId)).toEqual(row)
  })

  test('a failed event whose conversions are missing: created and settled once, then marked processed', async () => {
    const id = await storeEvent({ externalId: 'wh-failed', rawBody: order(2002) })
    expect(await count('conversions', `external_order_id = '2002'`)).toBe(0)
    const r = await replay(id)
    expect(r).toMatchObject({ kind: 'processed', eventId: id, status: 'processed', created: 1 })
    const conv = await one<{ id: string; event: string; total: string }>(
      store,
      `select id, webhook_event_id as event, total from conversions where external_order_id = '2002'`,
    )
    expect(r.kind === 'processed' && r.conversionIds).toEqual([conv.id])
    expect(conv).toMatchObject({ event: id, total: '100.0000' })
    expect(await commissionsOfOrder('2002')).toBe(1)
    expect(await eventRow(id)).toEqual({ status: 'processed', attempts: 2, error: null, processed: true })
    const after = await totals()
    expect(await replay(id)).toMatchObject({ kind: 'already_processed', conversionIds: [conv.id] })
    // The provider's own retry of that delivery is now a plain repeat.
    const retry = await deliver('wh-failed', order(2002))
    expect(retry.status).toBe(202)
    expect(await totals()).toEqual(after)
    expect((await verifyLedger(store.db)).ok).toBe(true)
  })

  test('ten replays of one failed event at once: one processes it, nine find it done', async () => {
    const id = await storeEvent({ externalId: 'wh-race', rawBody: order(3003) })
    const results = await Promise.all(Array.from({ length: 10 }, () => replay(id)))
    expect(results.filter((r) => r.kind === 'processed')).toHaveLength(1)
    expect(results.filter((r) => r.kind === 'already_processed')).toHaveLength(9)
    expect(await count('conversions', `external_order_id = '3003'`)).toBe(1)
    expect(await commissionsOfOrder('3003')).toBe(1)
    expect((await eventRow(id)).attempts).toBe(2)
  })

  test('an order another delivery already stored is not stored again', async () => {
    expect((await deliver('wh-first', order(4004))).status).toBe(200)
    const before = await totals()
    const id = await storeEvent({ externalId: 'wh-second-topic', rawBody: order(4004) })
    expect(await replay(id)).toMatchObject({ kind: 'processed', created: 0 })
    expect(await totals()).toEqual({ ...before, events: before.events + 1 })
  })

  test.each([
    ['an unknown id', async () => Bun.randomUUIDv7(), 'unknown_event'],
    [
      'an invalid signature',
      () => storeEvent({ externalId: 'wh-forged', rawBody: order(5005), signatureValid: false }),
      'invalid_signature',
    ],
    [
      'a source without a normalizer',
      () => storeEvent({ source: 'snippet', externalId: 'snip-1', rawBody: '{}' }),
      'not_replayable',
    ],
    [
      'a body that no longer normalizes',
      () => storeEvent({ externalId: 'wh-garbled', rawBody: '{"id": 1,' }),
      'invalid_body',
    ],
  ])('%s is refused and nothing changes', async (_label, make, reason) => {
    const id = await make()
    const before = await totals()
    expect(await replay(id)).toMatchObject({ kind: 'refused', reason })
    expect(await totals()).toEqual(before)
  })

  test('processing that fails again is recorded on the event (attempts, error); a later replay completes it', async () => {
    await store.query(`create function refuse_6006() returns trigger language plpgsql as $$
      begin if new.external_order_id = '6006' then raise exception 'order 6006 refused by a test trigger'; end if;
      return new; end $$`)
    await store.query(
      `create trigger refuse_6006 before insert on conversions for each row execute function refuse_6006()`,
    )
    const id = await storeEvent({ externalId: 'wh-again', rawBody: order(6006) })
    const err = await replay(id).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EventFailedError)
    expect((err as EventFailedError).eventId).toBe(id)
    expect(await eventRow(id)).toEqual({
      status: 'failed',
      attempts: 2,
      error: 'order 6006 refused by a test trigger',
      processed: false,
    })
    expect(await count('conversions', `external_order_id = '6006'`)).toBe(0)
    await store.query(`drop trigger refuse_6006 on conversions`)
    expect(await replay(id)).toMatchObject({ kind: 'processed', created: 1 })
    expect(await eventRow(id)).toEqual({ status: 'processed', attempts: 3, error: null, processed: true })
  })

  test('a stored CSV report row replays with the mapping it was imported with', async () => {
    const rawBody = JSON.stringify({
      network: 'amazon',
      mapping: {
        columns: { order_id: 'Order', occurred_at: 'Date', total: 'Revenue', sub_id: 'Tag' },
        defaultCurrency: 'USD',
      },
      row: { Order: 'AMZ-7', Date: '2026-03-01', Revenue: '100.00', Tag: 'ava' },
    })
    const id = await storeEvent({
      source: 'csv_import',
      externalId: 'amazon:sale:AMZ-7',
      rawBody,
      headers: { 'content-type': 'text/csv' },
    })
    expect(await replay(id)).toMatchObject({ kind: 'processed', created: 1 })
    expect(await commissionsOfOrder('AMZ-7')).toBe(1)
  })
})

describe('the intake keeps a failed delivery and completes it on the retry', () => {
  test('503 and a failed event; the retry stores it once (200), a further retry is a repeat (202)', async () => {
    await store.query(`create function refuse_7007() returns trigger language plpgsql as $$
      begin if new.external_order_id = '7007' then raise exception 'order 7007 refused'; end if;
      return new; end $$`)
    await store.query(
      `create trigger refuse_7007 before insert on conversions for each row execute function refuse_7007()`,
    )
    const failed = await deliver('wh-7007', order(7007))
    expect(failed.status).toBe(503)
    expect(failed.headers.get('retry-after')).toBe('30')
    expect(((await failed.json()) as { error: { code: string } }).error.code).toBe('processing_failed')
    const ev = await one<{ id: string; status: string; error: string; attempts: number; raw: string }>(
      store,
      `select id, status, error, attempts, raw_body as raw from webhook_events where external_id = 'wh-7007'`,
    )
    expect(ev).toMatchObject({ status: 'failed', error: 'order 7007 refused', attempts: 1, raw: order(7007) })
    // The same failure again only counts the attempt.
    expect((await deliver('wh-7007', order(7007))).status).toBe(503)
    expect((await eventRow(ev.id)).attempts).toBe(2)
    await store.query(`drop trigger refuse_7007 on conversions`)
    const retry = await deliver('wh-7007', order(7007))
    expect(retry.status).toBe(200)
    const body = (await retry.json()) as { eventId: string; conversionIds: string[] }
    expect(body.eventId).toBe(ev.id)
    expect(body.conversionIds).toHaveLength(1)
    expect(await eventRow(ev.id)).toEqual({ status: 'processed', attempts: 3, error: null, processed: true })
    const repeat = await deliver('wh-7007', order(7007))
    expect(repeat.status).toBe(202)
    expect(((await repeat.json()) as { conversionIds: string[] }).conversionIds).toEqual(body.conversionIds)
    expect(await commissionsOfOrder('7007')).toBe(1)
  })
})

describe('skinstack webhooks replay (the process: exit codes and output)', () => {
  const cli = (args: string[], databaseUrl = fx.url) =>
    runSource(['webhooks', 'replay', ...args], {
      ...testSecretsEnv,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
    })

  test('0 processed, then 0 already processed; --json for scripts', async () => {
    const id = await storeEvent({ externalId: 'wh-cli', rawBody: order(8008) })
    const first = await cli([id])
    expect(first).toMatchObject({ code: 0, stderr: '' })
    expect(first.stdout).toStartWith(`replayed event ${id} (shopify): processed, 1 conversion(s), 1 new: `)
    const again = await cli([id])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`event ${id} (shopify) was already processed; nothing changed`)
    const json = await cli([id, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'already_processed', eventId: id, created: 0 })
    expect(await count('conversions', `external_order_id = '8008'`)).toBe(1)
  })

  test('4 for an unknown or unreplayable event, naming why', async () => {
    const unknown = Bun.randomUUIDv7()
    expect(await cli([unknown])).toEqual({
      code: 4,
      stdout: '',
      stderr: `skinstack: no webhook event ${unknown}\n`,
    })
    const forged = await storeEvent({
      externalId: 'wh-cli-forged',
      rawBody: order(8009),
      signatureValid: false,
    })
    const r = await cli([forged])
    expect(r.code).toBe(4)
    expect(r.stderr).toContain('invalid signature')
  })

  test('2 for bad usage, 1 when the database is unreachable', async () => {
    const bad = await cli(['not-a-uuid'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("'not-a-uuid' is not an event id (a UUID)")
    expect((await cli([])).code).toBe(2)
    const down = await cli([Bun.randomUUIDv7()], 'postgres://postgres@127.0.0.1:1/none')
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('cannot connect to DATABASE_URL')
  })
})
