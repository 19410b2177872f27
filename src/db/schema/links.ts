import { boolean, foreignKey, index, jsonb, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core'
import { createdAt, id, tstz, updatedAt } from './columns.ts'
import { influencers, products } from './merchants.ts'
import { campaigns, programs } from './programs.ts'

export const trackingLinks = pgTable(
  'tracking_links',
  {
    id: id(),
    // The /l/:slug key; globally unique because the redirect knows nothing else.
    slug: text('slug').notNull().unique(),
    programId: uuid('program_id')
      .notNull()
      .references(() => programs.id, { onDelete: 'restrict' }),
    influencerId: uuid('influencer_id')
      .notNull()
      .references(() => influencers.id, { onDelete: 'restrict' }),
    campaignId: uuid('campaign_id'),
    productId: uuid('product_id').references(() => products.id, { onDelete: 'set null' }),
    // Free-form placement label ("ig-story", "yt-desc") used by /c/:creator/:campaign/:asset.
    asset: text('asset'),
    destinationUrl: text('destination_url').notNull(),
    utm: jsonb('utm').$type<Record<string, string>>(),
    // Extra query parameters the network wants on the destination (beyond its click/sub id params).
    networkParams: jsonb('network_params').$type<Record<string, string>>(),
    active: boolean('active').notNull().default(true),
    expiresAt: tstz('expires_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deactivatedAt: tstz('deactivated_at'),
  },
  (t) => [
    // One link per creator/campaign/asset so /c/… resolves to exactly one row, deactivated ones
    // included (they answer "gone" rather than falling through). NULLS NOT DISTINCT makes
    // (creator, no campaign, no asset) unique too. Its leading column serves lookups by influencer.
    unique('tracking_links_creator_route_uq').on(t.influencerId, t.campaignId, t.asset).nullsNotDistinct(),
    index('tracking_links_program_id_idx').on(t.programId),
    index('tracking_links_campaign_id_idx').on(t.campaignId),
    // Cursor pagination of the links list walks (created_at, id).
    index('tracking_links_created_id_idx').on(t.createdAt, t.id),
    // MATCH SIMPLE: skipped when campaign_id is null, otherwise the campaign must belong to program_id.
    foreignKey({
      name: 'tracking_links_campaign_program_fk',
      columns: [t.campaignId, t.programId],
      foreignColumns: [campaigns.id, campaigns.programId],
    }).onDelete('restrict'),
  ],
)

export type TrackingLink = typeof trackingLinks.$inferSelect
export type NewTrackingLink = typeof trackingLinks.$inferInsert
