import { sql } from 'drizzle-orm'
import { check, pgTable, text } from 'drizzle-orm/pg-core'
import { createdAt, id, updatedAt } from './columns.ts'

// The tenant. Kept in its own file so merchants/ and accounts/ can both point at it without a cycle.
export const organisations = pgTable(
  'organisations',
  {
    id: id(),
    name: text('name').notNull(),
    slug: text('slug').notNull().unique(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check('organisations_slug_lower', sql`${t.slug} = lower(${t.slug})`)],
)

export type Organisation = typeof organisations.$inferSelect
export type NewOrganisation = typeof organisations.$inferInsert
