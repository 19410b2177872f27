import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { createdAt, currency, id, minor, tstz, updatedAt } from './columns.ts'
import { payoutMethod } from './enums.ts'
import { organisations } from './organisations.ts'

export const merchants = pgTable(
  'merchants',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    name: text('name').notNull(),
    slug: text('slug').notNull().unique(),
    defaultCurrency: currency('default_currency').notNull(),
    websiteUrl: text('website_url'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    disabledAt: tstz('disabled_at'),
  },
  (t) => [
    index('merchants_org_id_idx').on(t.orgId),
    check('merchants_slug_lower', sql`${t.slug} = lower(${t.slug})`),
  ],
)

export const influencers = pgTable(
  'influencers',
  {
    id: id(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organisations.id, { onDelete: 'restrict' }),
    // Global, because /c/:creator/… resolves it without knowing the organisation.
    handle: text('handle').notNull().unique(),
    displayName: text('display_name').notNull(),
    email: text('email'),
    payoutMethod: payoutMethod('payout_method'),
    // Opaque to us (Stripe account id, PayPal email, …); the payout adapter interprets it.
    payoutAccount: text('payout_account'),
    // Null = the program's min_payout_minor applies.
    minPayoutMinor: minor('min_payout_minor'),
    currency: currency().notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    disabledAt: tstz('disabled_at'),
  },
  (t) => [
    index('influencers_org_id_idx').on(t.orgId),
    check('influencers_handle_lower', sql`${t.handle} = lower(${t.handle})`),
    check('influencers_email_lower', sql`${t.email} = lower(${t.email})`),
  ],
)

// Affiliate networks and carts whose links we wrap; global reference data.
export const networks = pgTable('networks', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  // Query parameter names the destination expects for our click id and the influencer's sub id.
  clickParam: text('click_param'),
  subIdParam: text('sub_id_param'),
  createdAt: createdAt(),
})

export const products = pgTable(
  'products',
  {
    id: id(),
    merchantId: uuid('merchant_id')
      .notNull()
      .references(() => merchants.id, { onDelete: 'cascade' }),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    priceMinor: minor('price_minor'),
    currency: currency(),
    url: text('url'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('products_merchant_sku_uq').on(t.merchantId, t.sku),
    check('products_price_has_currency', sql`(${t.priceMinor} is null) = (${t.currency} is null)`),
  ],
)

export type Merchant = typeof merchants.$inferSelect
export type NewMerchant = typeof merchants.$inferInsert
export type Influencer = typeof influencers.$inferSelect
export type NewInfluencer = typeof influencers.$inferInsert
export type Network = typeof networks.$inferSelect
export type Product = typeof products.$inferSelect
