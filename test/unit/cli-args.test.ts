import { describe, expect, test } from 'bun:test'
import { parseCli, UsageError } from '../../src/cli/args.ts'

describe('parseCli', () => {
  test.each([
    [['--help'], 'help'],
    [['-h'], 'help'],
    [[], 'help'],
    [['version'], 'version'],
    [['--version'], 'version'],
    [['migrate'], 'migrate'],
    [['doctor'], 'doctor'],
    [['ledger', 'verify'], 'ledger'],
  ])('%p → %s', (argv, command) => {
    expect(parseCli(argv).command).toBe(command as never)
  })

  test('serve flags', () => {
    const cli = parseCli(['serve', '--port', '8080', '--data-dir', '/tmp/x', '--no-migrate'])
    expect(cli).toEqual({ command: 'serve', flags: { port: '8080', dataDir: '/tmp/x' }, migrate: false })
  })

  test('ledger verify, with and without --json', () => {
    expect(parseCli(['ledger', 'verify'])).toEqual({
      command: 'ledger',
      flags: {},
      migrate: true,
      ledger: { action: 'verify', json: false },
    })
    expect(parseCli(['ledger', 'verify', '--json']).ledger).toEqual({ action: 'verify', json: true })
    expect(parseCli(['--json', 'ledger', 'verify']).ledger).toEqual({ action: 'verify', json: true })
    expect(parseCli(['doctor']).ledger).toBeUndefined()
  })

  test.each([
    [['ledger'], 'ledger needs an action: verify'],
    [['ledger', 'balance'], "unknown ledger action 'balance' (expected verify)"],
    [['ledger', 'verify', 'now'], "unexpected argument 'now'"],
    [['doctor', '--json'], '--json applies only to ledger verify'],
    [['ledger', 'verify', '--no-migrate'], '--no-migrate applies only to serve'],
    [['serve', '--bogus'], "Unknown option '--bogus'"],
    [['launch'], "unknown command 'launch'"],
    [['serve', 'extra'], "unexpected argument 'extra'"],
    [['migrate', '--no-migrate'], '--no-migrate applies only to serve'],
    [['serve', '--port'], "Option '--port <value>' argument missing"],
  ])('%p is a usage error', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError)
    expect(() => parseCli(argv)).toThrow(message)
  })
})
