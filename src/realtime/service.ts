import { LRUCache } from 'lru-cache'
import type { Store } from '../db/store.ts'
import { EVENTS_CHANNEL, EVENT_TYPES, type DomainEvent } from '../events/types.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import { type ClickTally, createHub } from './hub.ts'

/** Where every host tells every host (itself included) which clicks it stored; read by each host's hub. */
export const CLICKS_CHANNEL = 'sk_clicks'
// Postgres refuses NOTIFY payloads of 8,000 bytes or more.
const MAX_PAYLOAD = 7_500

/** The fields of a stored click the feed needs (a redirect ClickRecord has them; the feed imports no redirect code). */
export interface StoredClick {
  readonly link: {
    readonly id: string
    readonly slug: string
    readonly programId: string
    readonly influencerId: string
  }
}

export interface RealtimeOptions {
  readonly store: Store
  readonly log: Logger
  readonly maxBufferedBytes?: number
  readonly clickBatchMs?: number
  readonly heartbeatMs?: number
}

/**
 * The live feed of one host. Events reach it only through LISTEN (domain events from whichever host's
 * transaction committed them, click tallies from whichever host's flusher stored them), so every host's sockets
 * see the same feed whichever host served the click or took the webhook.
 */
export function createRealtime(o: RealtimeOptions) {
  const owners = new LRUCache<string, { merchantId: string | null }>({ max: 50_000 })
  const merchantOf = async (programId: string) => {
    let hit = owners.get(programId)
    if (!hit) {
      const [row] = await o.store.query<{ merchant_id: string }>(
        'select merchant_id from programs where id = $1',
        [programId],
      )
      hit = { merchantId: row?.merchant_id ?? null }
      owners.set(programId, hit)
    }
    return hit.merchantId
  }
  const hub = createHub({
    log: o.log,
    merchantOf,
    maxBufferedBytes: o.maxBufferedBytes ?? 1024 * 1024,
    clickBatchMs: o.clickBatchMs ?? 250,
    heartbeatMs: o.heartbeatMs ?? 25_000,
  })
  let unlisten: (() => Promise<void>)[] = []

  /** Sums a stored batch per link and announces it in NOTIFY-sized chunks; a lost notice costs the feed, not data. */
  const clicksStored = (records: readonly StoredClick[]) => {
    const perLink = new Map<string, [string, string, string, string, number]>()
    for (const r of records) {
      const cur = perLink.get(r.link.id)
      if (cur) cur[4]++
      else perLink.set(r.link.id, [r.link.id, r.link.slug, r.link.programId, r.link.influencerId, 1])
    }
    let chunk: string[] = []
    let bytes = 2
    const send = () => {
      if (!chunk.length) return
      o.store
        .notify(CLICKS_CHANNEL, `[${chunk.join(',')}]`)
        .catch((err) => o.log.debug({ err }, 'click notice lost'))
      chunk = []
      bytes = 2
    }
    for (const row of perLink.values()) {
      const s = JSON.stringify(row)
      if (bytes + s.length + 1 > MAX_PAYLOAD) send()
      chunk.push(s)
      bytes += s.length + 1
    }
    send()
  }

  const onEvent = (payload: string) => {
    const e = parseEvent(payload)
    if (e) hub.publish(e)
    else o.log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed event notice')
  }
  const onClicks = (payload: string) => {
    try {
      const rows = JSON.parse(payload) as [string, string, string, string, number][]
      const tallies: ClickTally[] = rows.map(([linkId, slug, programId, influencerId, count]) => ({
        linkId,
        slug,
        programId,
        influencerId,
        count,
      }))
      void hub.addClicks(tallies)
    } catch {
      o.log.warn({ payload: payload.slice(0, 200) }, 'ignored a malformed click notice')
    }
  }

  const worker: Worker = {
    name: 'realtime-feed',
    async start() {
      unlisten = [
        await o.store.listen(EVENTS_CHANNEL, onEvent),
        await o.store.listen(CLICKS_CHANNEL, onClicks),
      ]
      hub.start()
    },
    async stop() {
      hub.stop()
      await Promise.all(unlisten.map((u) => u()))
      unlisten = []
    },
  }
  return { hub, clicksStored, worker }
}

export type Realtime = ReturnType<typeof createRealtime>

const TYPES = new Set<string>(EVENT_TYPES)

function parseEvent(payload: string): DomainEvent | null {
  try {
    const e = JSON.parse(payload) as DomainEvent
    if (typeof e?.id !== 'string' || !TYPES.has(e.type) || !Array.isArray(e.influencerIds)) return null
    return e
  } catch {
    return null
  }
}
