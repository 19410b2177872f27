import type { ServerWebSocket } from 'bun'
import type { Principal } from '../auth/principal.ts'
import { type DomainEvent, forInfluencer } from '../events/types.ts'
import type { Logger } from '../shared/logger.ts'

/** Clicks stored for one link since the last report (what a flusher batch adds, summed per link). */
export interface ClickTally {
  readonly linkId: string
  readonly slug: string
  readonly programId: string
  readonly influencerId: string
  readonly count: number
}

export interface HubOptions {
  readonly log: Logger
  /** The merchant owning a program (cached by the caller), so merchants get their programs' clicks. */
  readonly merchantOf: (programId: string) => Promise<string | null>
  /** Bytes a client may have waiting before it counts as a slow consumer and is dropped. */
  readonly maxBufferedBytes: number
  readonly clickBatchMs: number
  readonly heartbeatMs: number
}

type Socket = ServerWebSocket<unknown>

/** Close codes: 1001 going away (shutdown), 1008 policy (bad auth), 1013 try again later (too slow to keep up). */
export const CLOSE = { shutdown: 1001, policy: 1008, slow: 1013 } as const

/**
 * Keeps authenticated sockets by audience and sends each only what its principal may see: admins everything, a
 * merchant its programs', an influencer their own (other influencers' figures removed). Clicks are summed per
 * audience and sent every clickBatchMs, so a flood is a few frames, not thousands. A socket whose send buffer
 * grows past maxBufferedBytes is closed (1013): memory stays bounded whoever stops reading.
 */
export function createHub(o: HubOptions) {
  const admins = new Set<Socket>()
  const merchants = new Map<string, Set<Socket>>()
  const influencers = new Map<string, Set<Socket>>()
  const principals = new Map<Socket, Principal>()
  // Pending click tallies per audience key ('*', 'm:<id>', 'i:<id>'), per link.
  const pending = new Map<string, Map<string, { slug: string; count: number }>>()
  const stats = { sent: 0, dropped: 0 }
  let clickTimer: ReturnType<typeof setInterval> | undefined
  let beatTimer: ReturnType<typeof setInterval> | undefined

  const setOf = (p: Principal): Set<Socket> => {
    if (p.kind === 'admin') return admins
    const [map, key] = p.kind === 'merchant' ? [merchants, p.merchantId] : [influencers, p.influencerId]
    let set = map.get(key)
    if (!set) map.set(key, (set = new Set()))
    return set
  }

  const remove = (ws: Socket) => {
    const p = principals.get(ws)
    if (!p) return
    principals.delete(ws)
    const set = setOf(p)
    set.delete(ws)
    if (set.size === 0 && p.kind !== 'admin')
      (p.kind === 'merchant' ? merchants : influencers).delete(
        p.kind === 'merchant' ? p.merchantId : p.influencerId,
      )
  }

  const send = (ws: Socket, text: string) => {
    const r = ws.send(text)
    if (r === 0 || ws.getBufferedAmount() > o.maxBufferedBytes) {
      stats.dropped++
      remove(ws)
      ws.close(CLOSE.slow, 'too slow: messages were piling up')
      return
    }
    stats.sent++
  }

  const sendAll = (set: Iterable<Socket> | undefined, text: string) => {
    if (!set) return
    // Copied: send() may remove a slow socket from the set being walked.
    for (const ws of [...set]) send(ws, text)
  }

  const tally = (key: string, t: ClickTally) => {
    let links = pending.get(key)
    if (!links) pending.set(key, (links = new Map()))
    const cur = links.get(t.linkId)
    if (cur) cur.count += t.count
    else links.set(t.linkId, { slug: t.slug, count: t.count })
  }

  const flushClicks = () => {
    if (pending.size === 0) return
    const at = new Date().toISOString()
    for (const [key, links] of pending) {
      let total = 0
      const items = [...links].map(([linkId, v]) => {
        total += v.count
        return { linkId, slug: v.slug, count: v.count }
      })
      const text = JSON.stringify({ type: 'clicks', at, total, links: items })
      if (key === '*') sendAll(admins, text)
      else if (key.startsWith('m:')) sendAll(merchants.get(key.slice(2)), text)
      else sendAll(influencers.get(key.slice(2)), text)
    }
    pending.clear()
  }

  return {
    stats,
    get size() {
      return principals.size
    },
    add(ws: Socket, p: Principal) {
      principals.set(ws, p)
      setOf(p).add(ws)
    },
    remove,
    /** A domain event from any host (via LISTEN): to admins, the merchant, and each influencer's own copy. */
    publish(e: DomainEvent) {
      const text = JSON.stringify(e)
      sendAll(admins, text)
      if (e.merchantId) sendAll(merchants.get(e.merchantId), text)
      for (const id of e.influencerIds) {
        const set = influencers.get(id)
        if (set?.size) sendAll(set, JSON.stringify(forInfluencer(e, id)))
      }
    },
    /** Clicks stored on any host; summed until the next batch tick. */
    async addClicks(tallies: readonly ClickTally[]) {
      for (const t of tallies) {
        if (admins.size) tally('*', t)
        if (influencers.has(t.influencerId)) tally(`i:${t.influencerId}`, t)
        if (merchants.size) {
          const m = await o.merchantOf(t.programId).catch(() => null)
          if (m && merchants.has(m)) tally(`m:${m}`, t)
        }
      }
    },
    flushClicks,
    start() {
      clickTimer = setInterval(flushClicks, o.clickBatchMs)
      // Browsers cannot see protocol pings: an app-level heartbeat lets the page tell a dead feed from a quiet one.
      beatTimer = setInterval(() => {
        const text = JSON.stringify({ type: 'heartbeat', at: new Date().toISOString() })
        for (const ws of [...principals.keys()]) send(ws, text)
      }, o.heartbeatMs)
    },
    /** Shutdown: every socket is told 1001 (going away) so clients reconnect elsewhere. */
    stop() {
      clearInterval(clickTimer)
      clearInterval(beatTimer)
      flushClicks()
      for (const ws of [...principals.keys()]) {
        remove(ws)
        ws.close(CLOSE.shutdown, 'server shutting down')
      }
    },
  }
}

export type Hub = ReturnType<typeof createHub>
