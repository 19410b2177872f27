import { isIP } from 'node:net'

// The shopper's address as seen through our own proxies: X-Forwarded-For is believed only when the peer
// is a configured trusted proxy, and then only up to the first hop that is not one of ours.

interface Cidr {
  readonly v4: boolean
  readonly bits: bigint
  readonly mask: bigint
}

const toBig = (ip: string): { v4: boolean; n: bigint } | undefined => {
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
  const kind = isIP(plain)
  if (kind === 4) return { v4: true, n: plain.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) }
  if (kind !== 6) return undefined
  const [head = '', tail = ''] = plain.split('::')
  const h = head ? head.split(':') : []
  const t = plain.includes('::') ? (tail ? tail.split(':') : []) : []
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return { v4: false, n: groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n) }
}

export function parseCidr(entry: string): Cidr | undefined {
  const [addr = '', len] = entry.split('/')
  const ip = toBig(addr)
  if (!ip) return undefined
  const width = ip.v4 ? 32 : 128
  const prefix = len === undefined ? width : Number(len)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix)
  return { v4: ip.v4, bits: ip.n & mask, mask }
}

export function createIpResolver(trusted: readonly string[]) {
  const ranges = trusted.map(parseCidr).filter((c): c is Cidr => c !== undefined)
  const isTrusted = (ip: string) => {
    if (ranges.length === 0) return false
    const b = toBig(ip)
    return b !== undefined && ranges.some((r) => r.v4 === b.v4 && (b.n & r.mask) === r.bits)
  }
  return {
    isTrusted,
    /** The client address: the peer, or the right-most untrusted X-Forwarded-For hop behind trusted proxies. */
    clientIp(peer: string | undefined, forwardedFor: string | null): string | undefined {
      if (!peer || !forwardedFor || !isTrusted(peer)) return peer
      const hops = forwardedFor.split(',')
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i]?.trim() ?? ''
        if (!isIP(hop)) return peer
        if (!isTrusted(hop)) return hop
      }
      return peer
    },
  }
}

export type IpResolver = ReturnType<typeof createIpResolver>
