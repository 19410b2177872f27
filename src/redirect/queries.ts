import type { Store } from '../db/store.ts'

export interface LiveLink {
  id: string
  destinationUrl: string
}

/** A link redirects only while active and unexpired; anything else is indistinguishable from unknown. */
export async function findLiveLink(store: Store, slug: string): Promise<LiveLink | undefined> {
  const rows = await store.query<{ id: string; destination_url: string }>(
    `select id, destination_url from tracking_links
      where slug = $1 and active and (expires_at is null or expires_at > now())`,
    [slug],
  )
  const row = rows[0]
  return row ? { id: row.id, destinationUrl: row.destination_url } : undefined
}
