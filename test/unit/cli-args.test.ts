import { describe, expect, test } from 'bun:test'
import { HELP, parseCli, UsageError } from '../../src/cli/args.ts'

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
    [['webhooks', 'replay', '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b'], 'webhooks'],
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

  test('webhooks replay <event-id>, with and without --json; the id is normalised to lower case', () => {
    const id = '0190A5B2-7C3D-7E4F-8A9B-0C1D2E3F4A5B'
    expect(parseCli(['webhooks', 'replay', id])).toEqual({
      command: 'webhooks',
      flags: {},
      migrate: true,
      webhooks: { action: 'replay', eventId: id.toLowerCase(), json: false },
    })
    expect(parseCli(['webhooks', 'replay', '--json', id]).webhooks?.json).toBe(true)
    expect(parseCli(['ledger', 'verify']).webhooks).toBeUndefined()
  })

  test.each([
    [['webhooks'], 'webhooks needs an action: replay'],
    [['webhooks', 'retry'], "unknown webhooks action 'retry' (expected replay)"],
    [['webhooks', 'replay'], 'webhooks replay needs an event id'],
    [['webhooks', 'replay', '42'], "'42' is not an event id (a UUID)"],
    [['webhooks', 'replay', '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b', 'more'], "unexpected argument 'more'"],
    [
      ['webhooks', 'replay', '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b', '--no-migrate'],
      '--no-migrate applies only to serve',
    ],
    [
      ['doctor', '--json'],
      '--json applies only to ledger verify, attribution recompute, payouts run and webhooks replay',
    ],
  ])('%p is a usage error', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError)
    expect(() => parseCli(argv)).toThrow(message)
  })

  test('attribution recompute --from --to, dates at midnight UTC or with a zone', () => {
    expect(
      parseCli(['attribution', 'recompute', '--from', '2026-11-01', '--to', '2026-11-22T12:00:00+01:00']),
    ).toEqual({
      command: 'attribution',
      flags: {},
      migrate: true,
      attribution: {
        action: 'recompute',
        from: new Date('2026-11-01T00:00:00Z'),
        to: new Date('2026-11-22T11:00:00Z'),
        keepSchema: false,
        json: false,
      },
    })
    expect(
      parseCli([
        'attribution',
        'recompute',
        '--from',
        '2026-11-01',
        '--to',
        '2026-11-02',
        '--keep-schema',
        '--json',
      ]).attribution,
    ).toMatchObject({ keepSchema: true, json: true })
  })

  test.each([
    [['attribution'], 'attribution needs an action: recompute'],
    [['attribution', 'recompute', '--to', '2026-11-02'], 'attribution recompute needs --from'],
    [['attribution', 'recompute', '--from', '2026-11-02'], 'attribution recompute needs --to'],
    [
      ['attribution', 'recompute', '--from', 'yesterday', '--to', '2026-11-02'],
      "--from 'yesterday' is not an ISO 8601 date",
    ],
    [
      ['attribution', 'recompute', '--from', '2026-11-02T10:00', '--to', '2026-11-03'],
      'is not an ISO 8601 date',
    ],
    [['attribution', 'recompute', '--from', '2026-13-01', '--to', '2026-11-03'], 'is not an ISO 8601 date'],
    [
      ['attribution', 'recompute', '--from', '2026-11-02', '--to', '2026-11-02'],
      '--from must be before --to',
    ],
    [['ledger', 'verify', '--from', '2026-11-02'], '--from applies only to attribution recompute'],
  ])('%p is a usage error', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError)
    expect(() => parseCli(argv)).toThrow(message)
  })

  test('payouts run --period, currency upper-cased, USD by default', () => {
    expect(parseCli(['payouts', 'run', '--period', '2026-11', '--currency', 'eur']).payouts).toEqual({
      action: 'run',
      period: '2026-11',
      currency: 'EUR',
      json: false,
    })
    expect(parseCli(['payouts', 'run', '--period', '2026-11', '--json']).payouts?.currency).toBe('USD')
  })

  test.each([
    [['payouts', 'run'], 'payouts run needs --period'],
    [['payouts', 'pay', '--period', '2026-11'], "unknown payouts action 'pay'"],
    [['payouts', 'run', '--period', 'next month'], "--period 'next month' is not a period label"],
    [
      ['payouts', 'run', '--period', '2026-11', '--currency', 'dollars'],
      "--currency 'dollars' is not an ISO 4217 code",
    ],
    [['serve', '--period', '2026-11'], '--period applies only to payouts run'],
  ])('%p is a usage error', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError)
    expect(() => parseCli(argv)).toThrow(message)
  })

  test('--help documents webhooks replay and its exit codes', () => {
    expect(HELP).toContain('webhooks replay <event-id> [--json]')
    expect(HELP).toContain('4 webhooks replay: unknown event id, or an event that cannot be replayed')
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
