import { and, eq } from 'drizzle-orm'
import type { Principal } from '../auth/principal.ts'
import { type ImportMapping, importMappings } from '../db/schema/index.ts'
import type { Db, Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import { mappingGaps } from './csv-row.ts'
import { merchantIdOf } from './secrets.ts'

// The saved column mapping per merchant + network that CSV report imports read with.

export interface MappingView {
  readonly merchant: string
  readonly network: string
  readonly mapping: ImportMapping
  readonly createdAt: string
  readonly updatedAt: string
}

const view = (merchant: string, r: typeof importMappings.$inferSelect): MappingView => ({
  merchant,
  network: r.network,
  mapping: r.mapping,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
})

/** Creates or replaces the mapping (of a merchant the viewer manages, else 404 like an unknown one); 422 naming the fields it lacks (nothing is saved then). */
export async function putMapping(
  store: Store,
  i: { merchant: string; network: string; mapping: ImportMapping },
  viewer: Principal,
): Promise<MappingView> {
  const merchantId = await merchantIdOf(store, i.merchant, viewer)
  const mapping = tidy(i.mapping)
  const gaps = mappingGaps(mapping)
  if (gaps.length)
    throw new HttpError(422, 'incomplete_mapping', `the mapping lacks ${gaps.join(', ')}`, { fields: gaps })
  const [row] = await store.db
    .insert(importMappings)
    .values({ merchantId, network: i.network, mapping })
    .onConflictDoUpdate({
      target: [importMappings.merchantId, importMappings.network],
      set: { mapping, updatedAt: new Date() },
    })
    .returning()
  if (!row) throw new Error('mapping not saved')
  return view(i.merchant, row)
}

export async function getMapping(
  store: Store,
  i: { merchant: string; network: string },
  viewer: Principal,
): Promise<MappingView> {
  const merchantId = await merchantIdOf(store, i.merchant, viewer)
  const row = await mappingRow(store.db, merchantId, i.network)
  if (!row) throw new HttpError(404, 'mapping_not_found', `no mapping saved for ${i.merchant} / ${i.network}`)
  return view(i.merchant, row)
}

export async function mappingRow(db: Db, merchantId: string, network: string) {
  const [row] = await db
    .select()
    .from(importMappings)
    .where(and(eq(importMappings.merchantId, merchantId), eq(importMappings.network, network)))
  return row
}

/** Header names trimmed and the currency upper-cased, so what is stored is what imports match on. */
function tidy(m: ImportMapping): ImportMapping {
  const columns = Object.fromEntries(
    Object.entries(m.columns).flatMap(([k, v]) => (typeof v === 'string' && v.trim() ? [[k, v.trim()]] : [])),
  )
  return {
    columns,
    ...(m.defaultCurrency ? { defaultCurrency: m.defaultCurrency.toUpperCase() } : {}),
    ...(m.delimiter ? { delimiter: m.delimiter } : {}),
    ...(m.kindValues && Object.keys(m.kindValues).length ? { kindValues: m.kindValues } : {}),
  }
}
