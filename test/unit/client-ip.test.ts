import { describe, expect, test } from 'bun:test'
import { createIpResolver } from '../../src/shared/client-ip.ts'

describe('client IP behind trusted proxies', () => {
  const r = createIpResolver(['10.0.0.0/8', '192.168.1.5', 'fd00::/8'])
  test.each([
    ['untrusted peer: its own address, header ignored', '203.0.113.9', '1.2.3.4', '203.0.113.9'],
    ['trusted peer: right-most untrusted hop', '10.1.2.3', '1.2.3.4, 198.51.100.7', '198.51.100.7'],
    [
      'chain of trusted proxies is skipped',
      '10.1.2.3',
      '198.51.100.7, 192.168.1.5, 10.9.9.9',
      '198.51.100.7',
    ],
    ['garbage hop stops the walk', '10.1.2.3', '1.2.3.4, not-an-ip', '10.1.2.3'],
    ['no header', '10.1.2.3', null, '10.1.2.3'],
    ['IPv6 trusted range', 'fd12::1', '2001:db8::5', '2001:db8::5'],
    ['IPv4-mapped peer', '::ffff:10.0.0.1', '198.51.100.8', '198.51.100.8'],
  ])('%s', (_l, peer, xff, want) => {
    expect(r.clientIp(peer, xff)).toBe(want)
  })
  test('no trusted proxies: always the peer', () => {
    expect(createIpResolver([]).clientIp('10.0.0.1', '1.2.3.4')).toBe('10.0.0.1')
  })
})
