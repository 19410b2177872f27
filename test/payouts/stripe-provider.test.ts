import { describe, expect, test } from 'bun:test'
import { createStripeProvider, STRIPE_API_VERSION } from '../../src/payouts/providers/stripe.ts'
import type { PayoutRequest } from '../../src/payouts/providers/types.ts'
import { startFakeStripe } from '../helpers/fake-stripe.ts'

const request = (over: Partial<PayoutRequest> = {}): PayoutRequest => {
  const payoutId = over.payoutId ?? crypto.randomUUID()
  return {
    payoutId,
    idempotencyKey: `skinstack-payout-${payoutId}`,
    influencerId: crypto.randomUUID(),
    account: 'acct_1Glow',
    currency: 'USD',
    amountMinor: 1234n,
    description: 'SkinStack payout 2025-06',
    ...over,
  }
}

const providerFor = (fake: { url: string; secretKey: string }, timeoutMs = 5_000) =>
  createStripeProvider({ apiBase: fake.url, secretKey: fake.secretKey, timeoutMs })

describe('stripe provider against a fake Stripe', () => {
  test('a transfer is created with the documented request and reported paid', async () => {
    await using fake = await startFakeStripe()
    const req = request()
    const r = await providerFor(fake).send(req)
    expect(r).toEqual({ status: 'paid', providerRef: fake.transfers[0]?.id ?? 'missing' })
    const seen = fake.seen[0]
    expect(seen?.method).toBe('POST')
    expect(seen?.path).toBe('/v1/transfers')
    expect(seen?.headers.authorization).toBe(`Bearer ${fake.secretKey}`)
    expect(seen?.headers['idempotency-key']).toBe(req.idempotencyKey)
    expect(seen?.headers['stripe-version']).toBe(STRIPE_API_VERSION)
    expect(seen?.headers['content-type']).toStartWith('application/x-www-form-urlencoded')
    expect(seen?.form).toEqual({
      amount: '1234',
      currency: 'usd',
      destination: 'acct_1Glow',
      transfer_group: req.payoutId,
      'metadata[payout_id]': req.payoutId,
      'metadata[influencer_id]': req.influencerId,
      description: 'SkinStack payout 2025-06',
    })
  })

  test.each(
    [
      ['USD', 1234n, 1234],
      ['JPY', 5000n, 5000],
      ['KWD', 12345n, 12345],
      ['EUR', 1n, 1],
    ].map(([c, m, a]) => [`${c} ${m}n → amount=${a}`, c, m, a] as [string, string, bigint, number]),
  )('%s', async (_label, currency, amountMinor, amount) => {
    await using fake = await startFakeStripe()
    const r = await providerFor(fake).send(request({ currency, amountMinor }))
    expect(r.status).toBe('paid')
    expect(fake.transfers).toHaveLength(1)
    expect(fake.transfers[0]?.amount).toBe(amount)
    expect(fake.transfers[0]?.currency).toBe(currency.toLowerCase())
  })

  test('a resend with the same key replays the first transfer', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake)
    const req = request()
    const a = await stripe.send(req)
    const b = await stripe.send(req)
    expect(b).toEqual(a)
    expect(fake.transfers).toHaveLength(1)
    expect(fake.counters.replays).toBe(1)
  })

  test('after 500s the same key pays exactly once', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake)
    const req = request()
    fake.fault({ kind: 'error', status: 500 }, 2)
    expect(await stripe.send(req)).toMatchObject({ status: 'failed', retryable: true })
    expect(await stripe.status(req, null)).toBeNull()
    expect(await stripe.send(req)).toMatchObject({ status: 'failed', retryable: true })
    const paid = await stripe.send(req)
    expect(paid.status).toBe('paid')
    expect(await stripe.send(req)).toEqual(paid)
    expect(fake.transfers).toHaveLength(1)
  })

  test('commit then fail: status() finds the transfer the client never recorded; a resend replays it', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake)
    const req = request()
    const other = request({ account: 'acct_2Other' })
    await stripe.send(other)
    fake.fault({ kind: 'commit-then-fail' })
    const lost = await stripe.send(req)
    expect(lost).toMatchObject({ status: 'failed', retryable: true })
    expect(fake.transfers).toHaveLength(2)
    const mine = fake.transfers.find((t) => t.metadata.payout_id === req.payoutId)
    expect(await stripe.status(req, null)).toEqual({ status: 'paid', providerRef: mine?.id ?? 'missing' })
    expect(await stripe.send(req)).toEqual({ status: 'paid', providerRef: mine?.id ?? 'missing' })
    expect(fake.transfers).toHaveLength(2)
    const asked = fake.seen.find((s) => s.method === 'GET')
    expect(asked?.path).toBe(`/v1/transfers?transfer_group=${req.payoutId}&limit=10`)
  })

  test('a timeout is retryable; a resend while the first is in flight is refused (409), after it replays', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake, 150)
    const req = request()
    fake.fault({ kind: 'hang' })
    const timedOut = await stripe.send(req)
    expect(timedOut).toMatchObject({ status: 'failed', retryable: true })
    expect(timedOut.status === 'failed' && timedOut.reason).toContain('no answer within 150 ms')
    const during = await stripe.send(req)
    expect(during).toMatchObject({ status: 'failed', retryable: true })
    expect(during.status === 'failed' && during.reason).toContain('409')
    fake.release()
    await fake.idle()
    const found = await stripe.status(req, null)
    expect(found?.status).toBe('paid')
    expect(await stripe.send(req)).toEqual(found as NonNullable<typeof found>)
    expect(fake.transfers).toHaveLength(1)
  })

  test('a request dropped while hanging left nothing: status() is null and the resend pays once', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake, 150)
    const req = request()
    fake.fault({ kind: 'hang', then: 'drop' })
    expect(await stripe.send(req)).toMatchObject({ status: 'failed', retryable: true })
    fake.release()
    await fake.idle()
    expect(await stripe.status(req, null)).toBeNull()
    expect((await stripe.send(req)).status).toBe('paid')
    expect(fake.transfers).toHaveLength(1)
  })

  test('the same key with other parameters is not final: the key was used, status() must decide', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake)
    const req = request()
    await stripe.send(req)
    const changed = await stripe.send({ ...req, amountMinor: 999n })
    expect(changed).toMatchObject({ status: 'failed', retryable: true })
    expect(changed.status === 'failed' && changed.reason).toContain('idempotency_error')
    expect((await stripe.status(req, null))?.status).toBe('paid')
    expect(fake.transfers).toHaveLength(1)
  })

  test('a wrong secret key fails for good; status() only says it could not ask', async () => {
    await using fake = await startFakeStripe()
    const stripe = createStripeProvider({
      apiBase: fake.url,
      secretKey: 'sk_test_wrongwrongwrong',
      timeoutMs: 5_000,
    })
    const r = await stripe.send(request())
    expect(r).toMatchObject({ status: 'failed', retryable: false })
    expect(r.status === 'failed' && r.reason).toContain('401')
    expect(r.status === 'failed' && r.reason).not.toContain('wrongwrong')
    expect(await stripe.status(request(), null)).toMatchObject({ status: 'failed', retryable: true })
    expect(fake.transfers).toHaveLength(0)
  })

  test.each([
    [400, false],
    [402, false],
    [429, true],
    [503, true],
  ])('HTTP %p is retryable: %p', async (status, retryable) => {
    await using fake = await startFakeStripe()
    fake.fault({ kind: 'error', status })
    expect(await providerFor(fake).send(request())).toMatchObject({ status: 'failed', retryable })
  })

  test('an unknown destination account is refused for good', async () => {
    await using fake = await startFakeStripe({ accounts: ['acct_1Glow'] })
    const r = await providerFor(fake).send(request({ account: 'acct_9Nobody' }))
    expect(r).toMatchObject({ status: 'failed', retryable: false })
    expect(r.status === 'failed' && r.reason).toContain('resource_missing')
  })

  test.each([
    ['a zero amount', { amountMinor: 0n }, 'amount must be positive'],
    ['a negative amount', { amountMinor: -5n }, 'amount must be positive'],
    ['an email as account', { account: 'someone@example.com' }, 'acct_'],
    ['a lower-case currency', { currency: 'usd' }, 'ISO 4217'],
  ])('%s is refused before anything is sent', async (_label, over: Partial<PayoutRequest>, reason) => {
    await using fake = await startFakeStripe()
    const r = await providerFor(fake).send(request(over))
    expect(r).toMatchObject({ status: 'failed', retryable: false })
    expect(r.status === 'failed' && r.reason).toContain(reason)
    expect(fake.counters.requests).toBe(0)
  })

  test('no server at all is a retryable network error', async () => {
    const fake = await startFakeStripe()
    const stripe = providerFor(fake)
    await fake[Symbol.asyncDispose]()
    expect(await stripe.send(request())).toMatchObject({ status: 'failed', retryable: true })
    expect(await stripe.status(request(), null)).toMatchObject({ status: 'failed', retryable: true })
  })

  test('a transfer reversed in full is reported failed (the money came back)', async () => {
    await using fake = await startFakeStripe()
    const stripe = providerFor(fake)
    const req = request()
    const sent = await stripe.send(req)
    const t = fake.transfers[0]
    if (t) t.reversed = true
    expect(await stripe.status(req, sent.status === 'paid' ? sent.providerRef : null)).toMatchObject({
      status: 'failed',
      retryable: false,
    })
  })
})
