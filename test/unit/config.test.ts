import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, describeConfig, loadConfig } from '../../src/config.ts'

const hex32 = 'ab'.repeat(32)
const prodEnv = {
  DATABASE_URL: 'postgres://app:s3cret@db.internal:5432/skinstack',
  CLICK_ID_KEYS: `k2:${hex32},k1:${'cd'.repeat(32)}`,
  IP_HASH_SALT: 'ef'.repeat(16),
  MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
}

const errorOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  test('defaults and production secrets', () => {
    const c = loadConfig(prodEnv, {}, '/srv')
    expect(c.port).toBe(3000)
    expect(c.host).toBe('0.0.0.0')
    expect(c.poolSize).toBe(10)
    expect(c.dataDir).toBe('/srv/data')
    expect(c.secrets.clickIdKeys.map((k) => k.kid)).toEqual(['k2', 'k1'])
    expect(c.secrets.masterKey.length).toBe(32)
    expect(c.publicBaseUrl).toBe('http://localhost:3000')
    expect(Object.isFrozen(c)).toBe(true)
  })

  test('flags win over the environment', () => {
    const c = loadConfig({ ...prodEnv, PORT: '4000' }, { port: '5000', host: '127.0.0.1' })
    expect(c.port).toBe(5000)
    expect(c.host).toBe('127.0.0.1')
  })

  test.each([
    [{ PORT: 'eighty' }, 'PORT: must be a whole number'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE: must be at least 1'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: must be one of'],
    [{ TRUSTED_PROXIES: '10.0.0.1,not-an-ip' }, 'TRUSTED_PROXIES'],
    [{ PUBLIC_BASE_URL: 'ftp://x' }, 'PUBLIC_BASE_URL: must be an absolute http(s) URL'],
    [{ MASTER_KEY: 'abcd' }, 'MASTER_KEY: must decode to exactly 32 bytes (got 2)'],
    [{ CLICK_ID_KEYS: 'nocolon' }, 'CLICK_ID_KEYS: each entry must be "kid:secret"'],
    [{ CLICK_ID_KEYS: `a:${hex32},a:${hex32}` }, 'CLICK_ID_KEYS: key ids must be unique'],
    [{ CLICK_ID_KEYS: 'a:abcd' }, 'CLICK_ID_KEYS (key a): must decode to at least 32 bytes'],
    [{ IP_HASH_SALT: 'ab' }, 'IP_HASH_SALT: must decode to at least 16 bytes'],
    [{ STRIPE_SECRET_KEY: 'pk_live_abcdefghijkl' }, 'STRIPE_SECRET_KEY: must be a Stripe secret key'],
    [{ STRIPE_API_BASE: 'api.stripe.com' }, 'STRIPE_API_BASE: must be an absolute http(s) URL'],
    [{ PAYPAL_API_BASE: 'ftp://paypal' }, 'PAYPAL_API_BASE: must be an absolute http(s) URL'],
    [{ PAYPAL_CLIENT_ID: 'has space' }, 'PAYPAL_CLIENT_ID: must be printable ASCII'],
    [{ PAYPAL_CLIENT_ID: 'AZabc' }, 'PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET: set both or neither'],
    [{ PAYPAL_CLIENT_SECRET: 'ELabc' }, 'PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET: set both or neither'],
    [{ PAYOUT_PROVIDER_TIMEOUT_MS: '50' }, 'PAYOUT_PROVIDER_TIMEOUT_MS: must be at least 100'],
    [{ PAYOUT_FEE_STRIPE: '2.9 percent' }, 'PAYOUT_FEE_STRIPE: must be like "2.9%+0.30"'],
    [{ PAYOUT_FEE_PAYPAL: '100%' }, 'PAYOUT_FEE_PAYPAL: rate 100% must be below 100%'],
    [{ PAYOUT_FEE_ACH: '0.50,JPY:0.5' }, 'PAYOUT_FEE_ACH: JPY:0.5: 0.5 has more decimals than JPY'],
  ])('rejects %o naming the variable', (override, message) => {
    expect(errorOf(() => loadConfig({ ...prodEnv, ...override }))).toContain(message)
  })

  test('several problems are reported together', () => {
    const msg = errorOf(() => loadConfig({ ...prodEnv, PORT: 'x', LOG_LEVEL: 'y' }))
    expect(msg).toContain('PORT')
    expect(msg).toContain('LOG_LEVEL')
  })

  test('Postgres mode requires every secret', () => {
    const msg = errorOf(() =>
      loadConfig({ DATABASE_URL: prodEnv.DATABASE_URL, MASTER_KEY: prodEnv.MASTER_KEY }),
    )
    expect(msg).toContain('CLICK_ID_KEYS, IP_HASH_SALT: required when DATABASE_URL is set')
  })

  test('error messages never echo secret values', () => {
    const secret = 'zz-very-secret-value-zz'
    const msg = errorOf(() => loadConfig({ ...prodEnv, MASTER_KEY: secret, CLICK_ID_KEYS: `k:${secret}` }))
    expect(msg).not.toContain(secret)
  })

  test('embedded mode generates secrets once and keeps them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'))
    const a = loadConfig({ DATA_DIR: dir })
    const b = loadConfig({ DATA_DIR: dir })
    expect(a.databaseUrl).toBeUndefined()
    expect(a.secrets.generated).toBe(true)
    expect(Buffer.from(a.secrets.masterKey).equals(Buffer.from(b.secrets.masterKey))).toBe(true)
    expect(JSON.parse(readFileSync(join(dir, 'dev-secrets.json'), 'utf8')).MASTER_KEY).toBeString()
  })

  test('payout providers: off without credentials, documented defaults, exact fees', () => {
    const p = loadConfig(prodEnv).payoutProviders
    expect(p.timeoutMs).toBe(10_000)
    expect(p.stripe).toEqual({ apiBase: 'https://api.stripe.com', secretKey: undefined })
    expect(p.paypal).toEqual({
      apiBase: 'https://api-m.paypal.com',
      clientId: undefined,
      clientSecret: undefined,
    })
    expect(p.fees.stripe_connect.spec).toBe('2.9%+0.30')
    expect(p.fees.stripe_connect.rule).toEqual({ rate: { num: 29n, den: 1000n }, fixed: '0.30', max: null })
    expect(p.fees.paypal.spec).toBe('2%')
    expect(p.fees.ach.rule.fixed).toBe('0.50')
    expect(p.fees.manual.spec).toBe('0')
    expect(Object.isFrozen(p)).toBe(true)
  })

  test('payout providers: configured', () => {
    const p = loadConfig({
      ...prodEnv,
      STRIPE_API_BASE: 'http://127.0.0.1:12111/',
      STRIPE_SECRET_KEY: 'sk_test_51Habcdefgh',
      PAYPAL_API_BASE: 'https://api-m.sandbox.paypal.com',
      PAYPAL_CLIENT_ID: 'AZclient',
      PAYPAL_CLIENT_SECRET: 'ELsecret',
      PAYOUT_PROVIDER_TIMEOUT_MS: '2500',
      PAYOUT_FEE_PAYPAL: '2% max 20.00',
      PAYOUT_FEE_STRIPE: '2.9%+0.30,JPY:3.6%+40',
    }).payoutProviders
    expect(p.stripe).toEqual({ apiBase: 'http://127.0.0.1:12111', secretKey: 'sk_test_51Habcdefgh' })
    expect(p.paypal.clientSecret).toBe('ELsecret')
    expect(p.timeoutMs).toBe(2500)
    expect(p.fees.paypal.rule.max).toBe('20.00')
    expect(p.fees.stripe_connect.byCurrency.JPY?.fixed).toBe('40')
  })

  test('payout provider secrets are never printed', () => {
    const env = {
      ...prodEnv,
      STRIPE_SECRET_KEY: 'sk_live_zzSecretStripeKey',
      PAYPAL_API_BASE: 'https://user:pw-in-url@paypal.internal',
      PAYPAL_CLIENT_ID: 'AZclient',
      PAYPAL_CLIENT_SECRET: 'ELzzSecretPaypal',
    }
    const text = JSON.stringify(describeConfig(loadConfig(env)))
    expect(text).not.toContain('zzSecret')
    expect(text).not.toContain('pw-in-url')
    expect(text).toContain('enabled (live key) at https://api.stripe.com')
    expect(text).toContain('2.9%+0.30')
    const off = JSON.stringify(describeConfig(loadConfig(prodEnv)))
    expect(off).toContain('disabled (STRIPE_SECRET_KEY unset)')
    const bad = errorOf(() => loadConfig({ ...prodEnv, STRIPE_SECRET_KEY: 'zz-very-secret-value-zz' }))
    expect(bad).not.toContain('zz-very-secret')
  })

  test('describeConfig redacts the database password and omits secrets', () => {
    const text = JSON.stringify(describeConfig(loadConfig(prodEnv)))
    expect(text).not.toContain('s3cret')
    expect(text).not.toContain(hex32)
    expect(text).not.toContain(prodEnv.MASTER_KEY)
    expect(text).toContain('db.internal')
  })
})
