import type { Config } from '../config.ts'
import { buildDestination } from '../shared/destination.ts'
import { HttpError } from '../shared/errors.ts'
import type { LinkBody } from './model.ts'
import type { LinkRow } from './queries.ts'

export type LinkView = typeof LinkBody.static
export type LinksConfig = Pick<Config, 'publicBaseUrl' | 'links'>

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const linkNotFound = (id: string) =>
  new HttpError(404, 'link_not_found', `no tracking link with id "${id.slice(0, 64)}"`)

export function toView(row: LinkRow, config: LinksConfig): LinkView {
  const l = row.link
  return {
    id: l.id,
    slug: l.slug,
    shortUrl: `${config.publicBaseUrl}/l/${l.slug}`,
    previewUrl: previewOf(row, config),
    programId: l.programId,
    influencerId: l.influencerId,
    campaignId: l.campaignId,
    productId: l.productId,
    asset: l.asset,
    destinationUrl: l.destinationUrl,
    utm: l.utm,
    networkParams: l.networkParams,
    active: l.active,
    expiresAt: l.expiresAt?.toISOString() ?? null,
    deactivatedAt: l.deactivatedAt?.toISOString() ?? null,
    createdAt: l.createdAt.toISOString(),
    updatedAt: l.updatedAt.toISOString(),
  }
}

/** What the shopper lands on, minus the per-click id; null only for rows written around the API. */
function previewOf(row: LinkRow, config: LinksConfig): string | null {
  try {
    return buildDestination({
      destinationUrl: row.link.destinationUrl,
      utm: row.link.utm,
      networkParams: row.link.networkParams,
      network: row.network,
      subId: row.handle,
      defaultClickParam: config.links.clickIdParam,
    }).url
  } catch {
    return null
  }
}

// Opaque to clients: base64url of [created_at with microseconds, id].
export const encodeCursor = (row: LinkRow) =>
  Buffer.from(JSON.stringify([row.cursorTs, row.link.id])).toString('base64url')

const CURSOR_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

export function decodeCursor(cursor: string): { ts: string; id: string } {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parsed = undefined
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    CURSOR_TS.test(parsed[0]) &&
    typeof parsed[1] === 'string' &&
    UUID.test(parsed[1])
  )
    return { ts: parsed[0], id: parsed[1] }
  throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API returned; start again without it')
}
