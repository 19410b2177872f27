import { sql } from 'drizzle-orm'
import { check, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { createdAt, id, updatedAt } from './columns.ts'
import { merchants } from './merchants.ts'

/** Which of our fields a network's report column holds; keys are our names, values the CSV header names. */
export interface ImportColumns {
  readonly order_id?: string
  readonly occurred_at?: string
  readonly total?: string
  readonly currency?: string
  readonly kind?: string
  readonly refund_id?: string
  readonly sub_id?: string
  readonly click_id?: string
  readonly coupon?: string
  readonly subtotal?: string
}

export interface ImportMapping {
  readonly columns: ImportColumns
  /** ISO 4217; used when the report has no currency column or the cell is empty. */
  readonly defaultCurrency?: string
  readonly delimiter?: ',' | ';' | '\t'
  /** The network's words for a row's kind ("Returned" → refund), matched case-insensitively. */
  readonly kindValues?: Readonly<Record<string, 'sale' | 'refund' | 'lead'>>
}

// How a network that only gives reports (Amazon Associates, Levanta …) lays out its CSV, saved once per
// merchant and network so every upload of that report is read the same way.
export const importMappings = pgTable(
  'import_mappings',
  {
    id: id(),
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    // Our name for the network; part of each imported row's dedupe key, so it must not change spelling.
    network: text('network').notNull(),
    mapping: jsonb('mapping').$type<ImportMapping>().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('import_mappings_merchant_network_uq').on(t.merchantId, t.network),
    check('import_mappings_network_format', sql`${t.network} ~ '^[a-z0-9][a-z0-9_.-]{0,39}$'`),
  ],
)

export type ImportMappingRow = typeof importMappings.$inferSelect
