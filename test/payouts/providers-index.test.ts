import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config.ts'
import { createFeeCalculator, createProviders } from '../../src/payouts/providers/index.ts'
import { startFakePaypal } from '../helpers/fake-paypal.ts'
import { startFakeStripe } from '../helpers/fake-stripe.ts'

const base = {
  DATABASE_URL: 'postgres://app:pw@db.internal:5432/skinstack',
  CLICK_ID_KEYS: `k1:${'ab'.repeat(32)}`,
  IP_HASH_SALT: 'ef'.repeat(16),
  MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
}

describe('createProviders', () => {
  test('without credentials only payouts by hand are possible (manual, and ACH from its bank file)', () => {
    const providers = createProviders(loadConfig(base))
    expect(Object.keys(providers)).toEqual(['manual', 'ach'])
  })

  test('configured providers reach their (fake) APIs and pay', async () => {
    await using stripe = await startFakeStripe()
    await using paypal = await startFakePaypal()
    const config = loadConfig({
      ...base,
      STRIPE_API_BASE: `${stripe.url}/`,
      STRIPE_SECRET_KEY: stripe.secretKey,
      PAYPAL_API_BASE: paypal.url,
      PAYPAL_CLIENT_ID: paypal.clientId,
      PAYPAL_CLIENT_SECRET: paypal.clientSecret,
      PAYOUT_FEE_PAYPAL: '2%max20.00',
    })
    const providers = createProviders(config)
    expect(Object.keys(providers).sort()).toEqual(['ach', 'manual', 'paypal', 'stripe_connect'])
    const req = {
      payoutId: crypto.randomUUID(),
      idempotencyKey: `k-${crypto.randomUUID()}`,
      influencerId: crypto.randomUUID(),
      currency: 'USD',
      amountMinor: 4825n,
      description: 'SkinStack payout 2025-06',
    }
    expect((await providers.stripe_connect?.send({ ...req, account: 'acct_1Glow' }))?.status).toBe('paid')
    expect((await providers.paypal?.send({ ...req, account: 'mia@example.com' }))?.status).toBe('processing')
    expect(stripe.transfers[0]?.amount).toBe(4825)
    expect(paypal.batches[0]?.item.amount).toEqual({ value: '48.25', currency: 'USD' })
    const fee = createFeeCalculator(config)
    expect(fee('paypal', 500000n, 'USD')).toBe(2000n)
    expect(fee('stripe_connect', 10000n, 'USD')).toBe(320n)
  })
})
