import { describe, expect, test } from 'bun:test'
import { createPaypalProvider } from '../../src/payouts/providers/paypal.ts'
import type { PayoutRequest } from '../../src/payouts/providers/types.ts'
import { type FakePaypal, startFakePaypal } from '../helpers/fake-paypal.ts'

const request = (over: Partial<PayoutRequest> = {}): PayoutRequest => {
  const payoutId = over.payoutId ?? crypto.randomUUID()
  return {
    payoutId,
    idempotencyKey: `skinstack-payout-${payoutId}`,
    influencerId: crypto.randomUUID(),
    account: 'mia@example.com',
    currency: 'USD',
    amountMinor: 1234n,
    description: 'SkinStack payout 2025-06',
    ...over,
  }
}

const providerFor = (fake: FakePaypal, extra: { timeoutMs?: number; now?: () => number } = {}) =>
  createPaypalProvider({
    apiBase: fake.url,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    timeoutMs: extra.timeoutMs ?? 5_000,
    ...(extra.now ? { now: extra.now } : {}),
  })

const creates = (fake: FakePaypal) => fake.seen.filter((s) => s.path === '/v1/payments/payouts')

describe('paypal provider against a fake PayPal', () => {
  test('token by client credentials, then a batch payout: processing, then paid when the batch settles', async () => {
    await using fake = await startFakePaypal()
    const paypal = providerFor(fake)
    const req = request()
    const sent = await paypal.send(req)
    const batchId = fake.batches[0]?.payout_batch_id ?? 'missing'
    expect(sent).toEqual({ status: 'processing', providerRef: batchId })

    const [tokenReq, createReq] = fake.seen
    expect(tokenReq?.path).toBe('/v1/oauth2/token')
    const basic = Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')
    expect(tokenReq?.headers.authorization).toBe(`Basic ${basic}`)
    expect(tokenReq?.form).toEqual({ grant_type: 'client_credentials' })
    expect(createReq?.headers.authorization).toStartWith('Bearer A21AA')
    expect(createReq?.headers['paypal-request-id']).toBe(req.idempotencyKey)
    expect(createReq?.headers['content-type']).toBe('application/json')
    const batch = fake.batches[0]
    expect(batch?.sender_batch_id).toBe(req.payoutId)
    expect(batch?.item).toMatchObject({
      amount: { value: '12.34', currency: 'USD' },
      receiver: 'mia@example.com',
      sender_item_id: req.payoutId,
      note: 'SkinStack payout 2025-06',
    })

    expect(await paypal.status(req, batchId)).toEqual({ status: 'paid', providerRef: batchId })
    expect(fake.counters.tokensIssued).toBe(1)
  })

  test.each([
    ['USD 1234n → "12.34"', 'USD', 1234n, '12.34'],
    ['USD 5n → "0.05"', 'USD', 5n, '0.05'],
    ['EUR 100000n → "1000.00"', 'EUR', 100000n, '1000.00'],
    ['JPY 5000n → "5000"', 'JPY', 5000n, '5000'],
  ] as [string, string, bigint, string][])('%s', async (_label, currency, amountMinor, value) => {
    await using fake = await startFakePaypal()
    expect((await providerFor(fake).send(request({ currency, amountMinor }))).status).toBe('processing')
    expect(fake.batches[0]?.item.amount).toEqual({ value, currency })
  })

  test('a batch that succeeds at once is paid (its item confirmed by a read)', async () => {
    await using fake = await startFakePaypal()
    fake.outcome.create = 'SUCCESS'
    const r = await providerFor(fake).send(request())
    expect(r).toEqual({ status: 'paid', providerRef: fake.batches[0]?.payout_batch_id ?? 'missing' })
    expect(fake.counters.gets).toBe(1)
  })

  test('an unclaimed item is processing until it is claimed; a returned one failed', async () => {
    await using fake = await startFakePaypal()
    fake.outcome.settle = { batch: 'SUCCESS', item: 'UNCLAIMED' }
    const paypal = providerFor(fake)
    const req = request()
    const sent = await paypal.send(req)
    const ref = sent.status === 'processing' ? sent.providerRef : 'missing'
    expect(await paypal.status(req, ref)).toEqual({ status: 'processing', providerRef: ref })
    const batch = fake.batches[0]
    if (batch) batch.item.transaction_status = 'SUCCESS'
    expect(await paypal.status(req, ref)).toEqual({ status: 'paid', providerRef: ref })
    if (batch) batch.item.transaction_status = 'RETURNED'
    expect(await paypal.status(req, ref)).toMatchObject({ status: 'failed', retryable: false })
  })

  test('a denied batch is a final failure', async () => {
    await using fake = await startFakePaypal()
    fake.outcome.create = 'DENIED'
    expect(await providerFor(fake).send(request())).toMatchObject({ status: 'failed', retryable: false })
  })

  test('the token is cached, renewed before it expires, and renewed once on a 401', async () => {
    await using fake = await startFakePaypal()
    let clock = Date.now()
    const paypal = providerFor(fake, { now: () => clock })
    await paypal.send(request())
    await paypal.send(request())
    expect(fake.counters.tokensIssued).toBe(1)
    clock += (fake.tokenTtlSeconds - 30) * 1000 // inside the last minute: renewed early
    await paypal.send(request())
    expect(fake.counters.tokensIssued).toBe(2)
    fake.expireTokens()
    expect((await paypal.send(request())).status).toBe('processing')
    expect(fake.counters.tokensIssued).toBe(3)
    expect(fake.batches).toHaveLength(4)
  })

  test('concurrent payouts share one token request', async () => {
    await using fake = await startFakePaypal()
    const paypal = providerFor(fake)
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => paypal.send(request())))
    expect(results.every((r) => r.status === 'processing')).toBe(true)
    expect(fake.counters.tokensIssued).toBe(1)
  })

  test('wrong client credentials fail for good and nothing is paid', async () => {
    await using fake = await startFakePaypal()
    const paypal = createPaypalProvider({
      apiBase: fake.url,
      clientId: fake.clientId,
      clientSecret: 'wrong-secret-value',
      timeoutMs: 5_000,
    })
    const r = await paypal.send(request())
    expect(r).toMatchObject({ status: 'failed', retryable: false })
    expect(r.status === 'failed' && r.reason).toContain('invalid_client')
    expect(r.status === 'failed' && r.reason).not.toContain('wrong-secret-value')
    expect(await paypal.status(request(), null)).toMatchObject({ status: 'failed', retryable: true })
    expect(fake.batches).toHaveLength(0)
  })

  test('after 500s the same PayPal-Request-Id pays exactly once', async () => {
    await using fake = await startFakePaypal()
    const paypal = providerFor(fake)
    const req = request()
    fake.fault({ kind: 'error', status: 500 }, 2)
    expect(await paypal.send(req)).toMatchObject({ status: 'failed', retryable: true })
    expect(await paypal.send(req)).toMatchObject({ status: 'failed', retryable: true })
    const r = await paypal.send(req)
    expect(r.status).toBe('processing')
    expect(await paypal.send(req)).toEqual(r)
    expect(fake.batches).toHaveLength(1)
    expect(fake.counters.replays).toBe(1)
  })

  test('commit then fail: status() without a ref learns the batch by replay and reports it now', async () => {
    await using fake = await startFakePaypal()
    const paypal = providerFor(fake)
    const req = request()
    fake.fault({ kind: 'commit-then-fail' })
    expect(await paypal.send(req)).toMatchObject({ status: 'failed', retryable: true })
    expect(fake.batches).toHaveLength(1)
    const batchId = fake.batches[0]?.payout_batch_id ?? 'missing'
    // The replay says PENDING (as first answered); the read after it finds the batch settled.
    expect(await paypal.status(req, null)).toEqual({ status: 'paid', providerRef: batchId })
    expect(await paypal.send(req)).toMatchObject({ providerRef: batchId })
    expect(fake.batches).toHaveLength(1)
    expect(creates(fake).every((s) => s.headers['paypal-request-id'] === req.idempotencyKey)).toBe(true)
  })

  test('a timeout is retryable; once the held request went through, status() finds its batch', async () => {
    await using fake = await startFakePaypal()
    const paypal = providerFor(fake, { timeoutMs: 150 })
    const req = request()
    await paypal.send(request()) // token first, so the hang hits the payout itself
    fake.fault({ kind: 'hang' })
    const r = await paypal.send(req)
    expect(r).toMatchObject({ status: 'failed', retryable: true })
    expect(r.status === 'failed' && r.reason).toContain('no answer within 150 ms')
    const during = await paypal.send(req)
    expect(during).toMatchObject({ status: 'failed', retryable: true })
    expect(during.status === 'failed' && during.reason).toContain('409 REQUEST_IN_PROGRESS')
    fake.release()
    await fake.idle()
    const found = await paypal.status(req, null)
    expect(found?.status).toBe('paid')
    expect(fake.batches.filter((b) => b.sender_batch_id === req.payoutId)).toHaveLength(1)
  })

  test('a reused sender_batch_id under a new request id is no second payment: its batch is reported', async () => {
    await using fake = await startFakePaypal()
    fake.outcome.create = 'SUCCESS'
    const paypal = providerFor(fake)
    const req = request()
    const first = await paypal.send(req)
    const again = await paypal.send({ ...req, idempotencyKey: 'another-request-id' })
    expect(again).toEqual(first)
    expect(first.status).toBe('paid')
    expect(fake.batches).toHaveLength(1)
    expect(await paypal.status({ ...req, idempotencyKey: 'yet-another' }, null)).toEqual(first)
  })

  test.each([
    [422, false],
    [400, false],
    [429, true],
    [503, true],
  ])('HTTP %p on create is retryable: %p', async (status, retryable) => {
    await using fake = await startFakePaypal()
    fake.fault({ kind: 'error', status })
    expect(await providerFor(fake).send(request())).toMatchObject({ status: 'failed', retryable })
  })

  test('a token endpoint outage is retryable', async () => {
    await using fake = await startFakePaypal()
    fake.fault({ kind: 'error', status: 503 }, 1, 'token')
    const paypal = providerFor(fake)
    expect(await paypal.send(request())).toMatchObject({ status: 'failed', retryable: true })
    expect((await paypal.send(request())).status).toBe('processing')
  })

  test('status() of an unknown batch id is null; a failed read is retryable, never final', async () => {
    await using fake = await startFakePaypal()
    const paypal = providerFor(fake)
    expect(await paypal.status(request(), 'NOSUCHBATCH12')).toBeNull()
    fake.fault({ kind: 'error', status: 500 }, 1, 'get')
    expect(await paypal.status(request(), 'NOSUCHBATCH12')).toMatchObject({
      status: 'failed',
      retryable: true,
    })
  })

  test.each([
    ['a phone number as receiver', { account: '+15551234567' }, 'receiver email'],
    ['a zero amount', { amountMinor: 0n }, 'amount must be positive'],
  ] as [string, Partial<PayoutRequest>, string][])(
    '%s is refused before anything is sent',
    async (_l, over, why) => {
      await using fake = await startFakePaypal()
      const r = await providerFor(fake).send(request(over))
      expect(r).toMatchObject({ status: 'failed', retryable: false })
      expect(r.status === 'failed' && r.reason).toContain(why)
      expect(fake.counters.requests).toBe(0)
    },
  )
})
