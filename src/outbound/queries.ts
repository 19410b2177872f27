import { and, eq, type SQL } from 'drizzle-orm'
import type { Principal } from '../auth/principal.ts'
import { type WebhookEndpoint, webhookEndpoints } from '../db/schema/index.ts'
import type { Db } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const isUuid = (v: string) => UUID.test(v)
export const notFound = (id: string) => new HttpError(404, 'endpoint_not_found', `no webhook endpoint ${id}`)

/** The rows of webhook_endpoints the principal may see (undefined: all of them). */
export function ownedBy(p: Principal): SQL | undefined {
  if (p.kind === 'merchant') return eq(webhookEndpoints.merchantId, p.merchantId)
  if (p.kind === 'influencer') return eq(webhookEndpoints.influencerId, p.influencerId)
  return undefined
}

export async function getEndpoint(db: Db, p: Principal, id: string): Promise<WebhookEndpoint> {
  if (!isUuid(id)) throw notFound(id)
  const [row] = await db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id.toLowerCase()), ownedBy(p)))
  if (!row) throw notFound(id)
  return row
}
