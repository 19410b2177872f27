import Bowser from 'bowser'
import { isbot } from 'isbot'
import { LRUCache } from 'lru-cache'
import { escapeCopy } from '../db/copy-format.ts'
import { uuidBytesToString } from '../shared/click-id.ts'
import { hashIp as saltedIpHash } from '../shared/ip-hash.ts'
import type { ClickRecord } from './click-buffer.ts'

/** Column order of every encoded click row, in the flusher's COPY and in journal files. */
export const CLICK_COLUMNS = [
  'id',
  'clicked_at',
  'link_id',
  'slug',
  'program_id',
  'influencer_id',
  'campaign_id',
  'ip_hash',
  'user_agent',
  'device',
  'browser',
  'os',
  'referrer',
  'landing_params',
  'is_bot',
  'is_head',
  'is_prefetch',
  'bot_score',
  'click_id_kid',
] as const

// Query parameters worth keeping from the shopper's landing URL: campaign tags and ad click ids.
const LANDING_KEYS = new Set([
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'gclid',
  'fbclid',
  'ttclid',
  'msclkid',
  'twclid',
  'li_fat_id',
])

// A burst from one address within this window is scored as a likely bot, not blocked.
const FLOOD_WINDOW_MS = 10_000
const FLOOD_THRESHOLD = 30

interface UaFacts {
  device: string | null
  browser: string | null
  os: string | null
  bot: boolean
}

export function createClickEncoder(opts: { ipHashSalt: Uint8Array }) {
  // bowser costs ~27 µs a parse; shoppers share few distinct UA strings, so parse each once.
  const uaCache = new LRUCache<string, UaFacts>({ max: 20_000 })
  const recent = new LRUCache<string, { since: number; count: number }>({ max: 100_000 })
  const ipHashes = new LRUCache<string, string>({ max: 100_000 })

  const uaFacts = (ua: string): UaFacts => {
    let facts = uaCache.get(ua)
    if (!facts) {
      const p = Bowser.parse(ua)
      facts = {
        device: p.platform.type ?? null,
        browser: p.browser.name ?? null,
        os: p.os.name ?? null,
        bot: isbot(ua),
      }
      uaCache.set(ua, facts)
    }
    return facts
  }

  const hashIp = (ip: string): string => {
    let h = ipHashes.get(ip)
    if (!h) {
      h = saltedIpHash(opts.ipHashSalt, ip) ?? ''
      ipHashes.set(ip, h)
    }
    return h
  }

  const floodScore = (ipHash: string, at: number): number => {
    const r = recent.get(ipHash)
    if (!r || at - r.since > FLOOD_WINDOW_MS) {
      recent.set(ipHash, { since: at, count: 1 })
      return 0
    }
    r.count++
    return r.count > FLOOD_THRESHOLD ? 40 : 0
  }

  return {
    /** The salted hash the clicks table keeps of an address (cached: shoppers repeat), null without one. */
    ipHash: (ip: string | undefined): string | null => (ip ? hashIp(ip) || null : null),
    /** One COPY text row for the clicks table, in CLICK_COLUMNS order (hand-built: this runs per click). */
    encode(rec: ClickRecord): string {
      const ua = rec.ua ? rec.ua.slice(0, 512) : null
      const facts = ua ? uaFacts(ua) : NO_UA
      const ipHash = rec.ipHash
      let score = !ua ? 90 : facts.bot ? 95 : 0
      if (rec.prefetch) score = Math.max(score, 70)
      if (rec.head) score = Math.max(score, 60)
      if (ipHash) score = Math.min(100, score + floodScore(ipHash, rec.at))
      const l = rec.link
      const params = landingParams(rec.query)
      return `${uuidBytesToString(rec.id)}\t${new Date(rec.at).toISOString()}\t${l.id}\t${escapeCopy(l.slug)}\t${l.programId}\t${l.influencerId}\t${l.campaignId ?? NULL}\t${ipHash ?? NULL}\t${text(ua)}\t${text(facts.device)}\t${text(facts.browser)}\t${text(facts.os)}\t${text(rec.referer ? rec.referer.slice(0, 2048) : null)}\t${params ? escapeCopy(JSON.stringify(params)) : NULL}\t${!ua || facts.bot ? 't' : 'f'}\t${rec.head ? 't' : 'f'}\t${rec.prefetch ? 't' : 'f'}\t${score}\t${escapeCopy(rec.kid)}\n`
    },
  }
}

const NULL = '\\N'
const NO_UA: UaFacts = { device: null, browser: null, os: null, bot: false }
const text = (v: string | null) => (v === null ? NULL : escapeCopy(v))

export type ClickEncoder = ReturnType<typeof createClickEncoder>

function landingParams(query: string | null): Record<string, string> | null {
  if (!query) return null
  let out: Record<string, string> | null = null
  for (const [k, v] of new URLSearchParams(query)) {
    // jsonb refuses \u0000: one such value would fail the whole COPY batch, and its journal replay, forever.
    if (LANDING_KEYS.has(k) && v.length <= 256 && !v.includes('\u0000')) {
      out ??= {}
      out[k] = v
    }
  }
  return out
}
