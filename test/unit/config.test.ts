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

  test('describeConfig redacts the database password and omits secrets', () => {
    const text = JSON.stringify(describeConfig(loadConfig(prodEnv)))
    expect(text).not.toContain('s3cret')
    expect(text).not.toContain(hex32)
    expect(text).not.toContain(prodEnv.MASTER_KEY)
    expect(text).toContain('db.internal')
  })
})
