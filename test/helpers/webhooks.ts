import type { WebhookSourceName } from '../../src/webhooks/adapter.ts'
import { addSecret } from '../../src/webhooks/secrets.ts'
import { testConfig, testRuntime } from './app.ts'
import { createTestDb } from './databases.ts'
import { seedLinks } from './links.ts'

/**
 * A fresh database with the demo merchant ('glow-labs'), the app on it, and `secrets` registered for that
 * merchant (two entries for one source = a rotation in progress).
 */
export async function webhookFixture(secrets: { source: WebhookSourceName; secret: string }[]) {
  const { store, url } = await createTestDb()
  await seedLinks(store)
  const config = testConfig(url)
  const app = testRuntime(store, url).app
  const [m] = await store.query<{ id: string }>(`select id from merchants where slug = 'glow-labs'`)
  const merchantId = m?.id ?? ''
  const slots = new Map<string, number>()
  for (const [i, s] of secrets.entries()) {
    const slot = (slots.get(s.source) ?? 0) + 1
    slots.set(s.source, slot)
    await addSecret(store, config.secrets.masterKey, {
      merchantId,
      source: s.source,
      keyId: `k${i + 1}`,
      secret: s.secret,
      slot: slot as 1 | 2,
    })
  }
  return { store, url, config, app, merchantId }
}
