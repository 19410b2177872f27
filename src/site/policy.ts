import type { Principal } from '../auth/principal.ts'
import { textArray } from '../db/rows.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'

// A program's rules for snippet traffic: when a session qualifies, and which events it pays for.

export const BILLABLE_KINDS = ['session', 'qualified_session', 'pageview', 'conversion'] as const

export interface SitePolicy {
  readonly program_id: string
  readonly min_pageviews: number
  readonly min_seconds: number
  readonly bot_score_threshold: number
  readonly billable: string[]
  readonly bill_flagged: boolean
}

export type SitePolicyInput = Partial<Omit<SitePolicy, 'program_id'>>

const COLUMNS = `id as program_id, site_min_pageviews as min_pageviews, site_min_seconds as min_seconds,
  bot_score_threshold, site_billable as billable, site_bill_flagged as bill_flagged`

async function visibleProgram(store: Store, id: string, viewer: Principal): Promise<void> {
  if (viewer.kind === 'influencer') throw new HttpError(404, 'not_found', 'program not found')
  const rows = await store.query<{ merchant_id: string }>(
    'select merchant_id from programs where id = $1::uuid',
    [id],
  )
  const m = rows[0]?.merchant_id
  if (!m || (viewer.kind === 'merchant' && viewer.merchantId !== m))
    throw new HttpError(404, 'not_found', 'program not found')
}

const shape = (r: Record<string, unknown>): SitePolicy => ({
  program_id: String(r.program_id),
  min_pageviews: Number(r.min_pageviews),
  min_seconds: Number(r.min_seconds),
  bot_score_threshold: Number(r.bot_score_threshold),
  billable: textArray(r.billable),
  bill_flagged: Boolean(r.bill_flagged),
})

export async function getSitePolicy(store: Store, id: string, viewer: Principal): Promise<SitePolicy> {
  await visibleProgram(store, id, viewer)
  const [row] = await store.query<Record<string, unknown>>(
    `select ${COLUMNS} from programs where id = $1::uuid`,
    [id],
  )
  if (!row) throw new HttpError(404, 'not_found', 'program not found')
  return shape(row)
}

/** Changes the given fields only; the schema bounds each (a bot threshold of 0–100, kinds from BILLABLE_KINDS). */
export async function updateSitePolicy(
  store: Store,
  id: string,
  input: SitePolicyInput,
  viewer: Principal,
): Promise<SitePolicy> {
  await visibleProgram(store, id, viewer)
  const billable = input.billable ? `{${[...new Set(input.billable)].join(',')}}` : null
  const [row] = await store.query<Record<string, unknown>>(
    `update programs set
       site_min_pageviews = coalesce($2::smallint, site_min_pageviews),
       site_min_seconds = coalesce($3::integer, site_min_seconds),
       bot_score_threshold = coalesce($4::smallint, bot_score_threshold),
       site_billable = coalesce($5::text[], site_billable),
       site_bill_flagged = coalesce($6::boolean, site_bill_flagged),
       updated_at = now()
     where id = $1::uuid returning ${COLUMNS}`,
    [
      id,
      input.min_pageviews ?? null,
      input.min_seconds ?? null,
      input.bot_score_threshold ?? null,
      billable,
      input.bill_flagged ?? null,
    ],
  )
  if (!row) throw new HttpError(404, 'not_found', 'program not found')
  return shape(row)
}
