import { Elysia } from 'elysia'
import type { ServerWebSocket } from 'bun'
import type { Authenticator, Principal } from '../auth/principal.ts'
import { CLOSE, type Hub } from './hub.ts'

// Browsers cannot set headers on a WebSocket: they authenticate with a first message {"type":"auth","token":…}.
// Other clients may send `Authorization: Bearer …` on the upgrade instead. Unauthenticated sockets get no events
// and are closed after AUTH_WINDOW_MS.
const AUTH_WINDOW_MS = 10_000

type Raw = ServerWebSocket<unknown>

const describe = (p: Principal) =>
  p.kind === 'admin'
    ? { kind: 'admin' }
    : p.kind === 'merchant'
      ? { kind: 'merchant', merchantId: p.merchantId }
      : { kind: 'influencer', influencerId: p.influencerId }

export const realtimePlugin = ({ hub, authenticate }: { hub: Hub; authenticate: Authenticator }) => {
  const waiting = new Map<Raw, ReturnType<typeof setTimeout>>()

  const admit = async (raw: Raw, token: string | null | undefined) => {
    clearTimeout(waiting.get(raw))
    waiting.delete(raw)
    try {
      const p = await authenticate(token)
      if (raw.readyState !== 1) return
      hub.add(raw, p)
      raw.send(JSON.stringify({ type: 'ready', principal: describe(p) }))
    } catch {
      raw.close(CLOSE.policy, 'invalid, revoked or expired API key')
    }
  }

  return new Elysia({ name: 'realtime' }).ws('/ws', {
    detail: {
      tags: ['realtime'],
      summary: 'Live feed of clicks, conversions, commission changes and payouts',
      description:
        'Authenticate with `Authorization: Bearer <API key>` on the upgrade, or a first message `{"type":"auth","token":"<API key>"}` within 10 s. Frames are JSON: `ready`, `clicks` (per-link counts, batched every 250 ms), `conversion.created`, `commission.approved`, `commission.reversed`, `payout.paid` (DomainEvent: id, type, at, merchantId, influencerIds, data) and `heartbeat` (every 25 s). Slow readers are closed with 1013; shutdown closes with 1001.',
    },
    open(ws) {
      const raw = ws.raw as Raw
      const header = (ws.data as { headers?: Record<string, string | undefined> }).headers?.authorization
      if (header) return void admit(raw, header)
      waiting.set(
        raw,
        setTimeout(() => {
          waiting.delete(raw)
          raw.close(CLOSE.policy, 'authenticate within 10 s')
        }, AUTH_WINDOW_MS),
      )
    },
    message(ws, message) {
      const raw = ws.raw as Raw
      const m = message as { type?: unknown; token?: unknown } | null
      if (m?.type === 'auth' && waiting.has(raw))
        return void admit(raw, typeof m.token === 'string' ? `Bearer ${m.token}` : null)
      if (m?.type === 'ping')
        return void raw.send(JSON.stringify({ type: 'pong', at: new Date().toISOString() }))
    },
    close(ws) {
      const raw = ws.raw as Raw
      clearTimeout(waiting.get(raw))
      waiting.delete(raw)
      hub.remove(raw)
    },
  })
}
