import { describe, expect, test } from 'bun:test'
import { createAuthenticator, mintApiKey } from '../../src/auth/principal.ts'
import type { Store } from '../../src/db/store.ts'

// The authenticator's cache against a scripted store: what it drops on each kind of notification, that a
// reconnect starts from empty, and that a lookup racing a revocation does not put the stale answer back.

function fakeStore() {
  const rows = new Map<string, object>()
  let lookups = 0
  let hold: Promise<void> | undefined
  const listeners: { onMessage: (p: string) => void; onReady?: () => void }[] = []
  const store = {
    kind: 'postgres',
    async query(text: string, params: unknown[] = []) {
      if (text.startsWith('update')) return []
      lookups++
      const row = rows.get(params[0] as string)
      await hold
      return row ? [row] : []
    },
    async listen(_channel: string, onMessage: (p: string) => void, onReady?: () => void) {
      const l = { onMessage, onReady }
      listeners.push(l)
      onReady?.()
      return async () => void listeners.splice(listeners.indexOf(l), 1)
    },
  } as unknown as Store
  return {
    store,
    rows,
    lookups: () => lookups,
    notify: (p: string) => listeners.forEach((l) => l.onMessage(p)),
    reconnect: () => listeners.forEach((l) => l.onReady?.()),
    holdLookups() {
      const gate = Promise.withResolvers<void>()
      hold = gate.promise
      return () => {
        hold = undefined
        gate.resolve()
      }
    },
  }
}

const keyRow = (id: string) => ({
  id,
  user_id: `u-${id}`,
  scopes: [],
  role: 'merchant',
  merchant_id: 'm1',
  influencer_id: null,
})

describe('principal cache invalidation', () => {
  test('a key hash drops that key only; "*" and a reconnect drop everything', async () => {
    const f = fakeStore()
    const auth = createAuthenticator({ store: f.store, adminApiKey: undefined })
    await auth.worker.start()
    const k1 = mintApiKey()
    const k2 = mintApiKey()
    f.rows.set(k1.hash, keyRow('k1'))
    f.rows.set(k2.hash, keyRow('k2'))
    await auth(k1.key)
    await auth(k2.key)
    await auth(k1.key)
    expect(f.lookups()).toBe(2)
    f.rows.delete(k1.hash)
    f.notify(k1.hash)
    await expect(auth(k1.key)).rejects.toMatchObject({ status: 401 })
    await auth(k2.key)
    expect(f.lookups()).toBe(3)
    f.notify('*')
    await auth(k2.key)
    expect(f.lookups()).toBe(4)
    f.reconnect()
    await auth(k2.key)
    expect(f.lookups()).toBe(5)
    await auth.worker.stop()
    f.notify('*')
    await auth(k2.key)
    expect(f.lookups()).toBe(5)
  })

  test('a lookup that read the key before its revocation does not cache the stale answer', async () => {
    const f = fakeStore()
    const auth = createAuthenticator({ store: f.store, adminApiKey: undefined })
    await auth.worker.start()
    const k = mintApiKey()
    f.rows.set(k.hash, keyRow('k'))
    const release = f.holdLookups()
    const inFlight = auth(k.key) // has read the row, not yet answered
    f.rows.delete(k.hash)
    f.notify(k.hash) // the revocation commits and is announced meanwhile
    release()
    expect((await inFlight).kind).toBe('merchant') // this request raced the revocation and may pass…
    await expect(auth(k.key)).rejects.toMatchObject({ status: 401 }) // …but nothing after it does
  })

  test('a key that expires within the cache period leaves the cache when it expires', async () => {
    const f = fakeStore()
    const auth = createAuthenticator({ store: f.store, adminApiKey: undefined })
    const k = mintApiKey()
    f.rows.set(k.hash, { ...keyRow('k'), ttl_ms: 40 })
    await auth(k.key)
    await auth(k.key)
    expect(f.lookups()).toBe(1)
    f.rows.delete(k.hash) // expired: the database no longer returns it
    const t0 = performance.now()
    while (
      await auth(k.key).then(
        () => true,
        () => false,
      )
    ) {
      if (performance.now() - t0 > 5_000) throw new Error('expired key still cached')
      await Bun.sleep(5)
    }
    expect(f.lookups()).toBe(2)
  })
})
