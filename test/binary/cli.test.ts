import { describe, expect, test } from 'bun:test'
import { testSecretsEnv } from '../helpers/app.ts'
import { isolatedBinary, run } from '../helpers/binary.ts'

const { bin, dir } = isolatedBinary()

describe('the compiled binary, alone in an empty directory', () => {
  test('--help and version', async () => {
    const help = await run(bin, ['--help'], {}, dir)
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: skinstack <command>')
    expect(help.stdout).toContain('doctor')
    const version = await run(bin, ['version'], {}, dir)
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^skinstack \d+\.\d+\.\d+ \(bun 1\.4\.\d+\)\n$/)
  })

  test('an unknown flag exits 2 naming it', async () => {
    const r = await run(bin, ['serve', '--prot', '80'], {}, dir)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("Unknown option '--prot'")
    expect(r.stderr).toContain('skinstack --help')
  })

  test('invalid config exits 2 naming the variable and the problem, without a stack', async () => {
    const r = await run(bin, ['migrate'], { PORT: '99999', LOG_LEVEL: 'chatty' }, dir)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('PORT: must be at most 65535')
    expect(r.stderr).toContain('LOG_LEVEL: must be one of')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  test('missing secrets with DATABASE_URL exit 2 and print no secret', async () => {
    const r = await run(
      bin,
      ['serve'],
      { DATABASE_URL: 'postgres://u:hunter2@127.0.0.1/x', MASTER_KEY: 'hunter2' },
      dir,
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('CLICK_ID_KEYS, IP_HASH_SALT: required when DATABASE_URL is set')
    expect(r.stderr).not.toContain('hunter2')
  })

  test('an unreachable DATABASE_URL fails fast with a readable message', async () => {
    const t0 = performance.now()
    const r = await run(
      bin,
      ['serve'],
      { ...testSecretsEnv, DATABASE_URL: 'postgres://app:pw@127.0.0.1:1/nowhere' },
      dir,
    )
    const took = performance.now() - t0
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(
      'skinstack: cannot connect to DATABASE_URL postgres://app:***@127.0.0.1:1/nowhere: connection refused (is Postgres running and listening there?)\n',
    )
    // Bounded by the connect timeout, not by reconnect backoff: generous for a shared machine.
    expect(took).toBeLessThan(15_000)
  })

  test('a database that does not exist is named as such', async () => {
    const url = new URL(process.env.SKINSTACK_TEST_ADMIN_URL ?? '')
    url.pathname = '/skinstack_no_such_db'
    const r = await run(bin, ['migrate'], { ...testSecretsEnv, DATABASE_URL: url.toString() }, dir)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('database does not exist')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
