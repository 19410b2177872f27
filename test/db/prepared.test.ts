import { describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { rawRows } from '../../src/db/rows.ts'
import { merchants, organisations } from '../../src/db/schema/index.ts'
import { createTestDb } from '../helpers/databases.ts'

const { store } = await createTestDb()

describe('drizzle statements are prepared when small', () => {
  test('a single-row statement is prepared on its connection; a 100-parameter insert is not', async () => {
    await store.db
      .transaction(async (tx) => {
        await tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.slug, 'nobody'))
        const many = Array.from({ length: 50 }, (_, i) => ({ name: `Org ${i}`, slug: `prep-org-${i}` }))
        await tx.insert(organisations).values(many)
        const prepared = await rawRows<{ statement: string }>(
          tx,
          sql`select statement from pg_prepared_statements`,
        )
        expect(prepared.some((p) => p.statement.includes('from "merchants"'))).toBe(true)
        expect(prepared.some((p) => p.statement.startsWith('insert into "organisations"'))).toBe(false)
        throw new Error('rollback')
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e
      })
  })
})
