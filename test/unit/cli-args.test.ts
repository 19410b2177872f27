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
  ])('%p → %s', (argv, command) => {
    expect(parseCli(argv).command).toBe(command as never)
  })

  test('serve flags', () => {
    const cli = parseCli(['serve', '--port', '8080', '--data-dir', '/tmp/x', '--no-migrate'])
    expect(cli).toEqual({ command: 'serve', flags: { port: '8080', dataDir: '/tmp/x' }, migrate: false })
  })

  test.each([
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
