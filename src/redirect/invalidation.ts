import type { Store } from '../db/store.ts'
import type { Worker } from '../lifecycle.ts'
import type { Logger } from '../shared/logger.ts'
import type { LinkCache } from './link-cache.ts'

export const LINK_CHANGED = 'link_changed'

/**
 * Evicts what other hosts (or this one) changed, as Postgres triggers announce it. NOTIFYs sent while our
 * LISTEN connection was down are lost, so every (re)connect makes every cached link be re-read before its
 * next use (kept only as a fallback should that read fail).
 */
export function linkInvalidationWorker(o: { store: Store; cache: LinkCache; log: Logger }): Worker {
  let unlisten: (() => Promise<void>) | undefined
  let connects = 0
  return {
    name: 'link-invalidation',
    async start() {
      unlisten = await o.store.listen(
        LINK_CHANGED,
        (slug) => (slug === '*' ? o.cache.clear() : o.cache.evict(slug)),
        () => {
          o.cache.revalidateAll()
          if (connects++ > 0) o.log.warn('LISTEN reconnected: every cached link will be re-read')
        },
      )
    },
    async stop() {
      await unlisten?.()
    },
  }
}
