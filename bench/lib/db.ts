// The bench's own database: created fresh, migrated by the binary, seeded with plain SQL, dropped at the end.
import { join } from 'node:path'
import postgres from 'postgres'
import { ToolError } from './wrk.ts'

export interface BenchDb {
  name: string
  url: string
}

const admin = (adminUrl: string) => postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 })

export async function createBenchDb(adminUrl: string, name: string): Promise<BenchDb> {
  const sql = admin(adminUrl)
  try {
    await sql.unsafe(`drop database if exists ${name} with (force)`)
    await sql.unsafe(`create database ${name}`)
  } finally {
    await sql.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

export async function dropBenchDb(adminUrl: string, name: string): Promise<void> {
  const sql = admin(adminUrl)
  try {
    await sql.unsafe(`drop database if exists ${name} with (force)`)
  } finally {
    await sql.end()
  }
}

/** The slug of link number i (1-based), as the wrk script builds it: b0000001, b0000002, … */
export const slugOf = (i: number) => `b${String(i).padStart(7, '0')}`

/**
 * One organisation, merchant, influencer and program, then `links` tracking links b0000001… in one
 * generate_series insert. The asset is the slug because (influencer, campaign, asset) is unique with
 * NULLS NOT DISTINCT: one influencer cannot own two links with the same (no campaign, no asset).
 */
export async function seedLinks(dbUrl: string, links: number): Promise<{ ms: number; count: number }> {
  const t0 = performance.now()
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} })
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`
        with org as (
          insert into organisations (name, slug) values ('Bench', 'bench') returning id
        ), merchant as (
          insert into merchants (org_id, name, slug, default_currency, website_url)
          select id, 'Bench Shop', 'bench-shop', 'USD', 'https://shop.bench.example' from org returning id
        ), influencer as (
          insert into influencers (org_id, handle, display_name, currency)
          select id, 'bench-creator', 'Bench Creator', 'USD' from org returning id
        ), program as (
          insert into programs (merchant_id, name, slug, currency, commission_type, commission_rate)
          select id, 'Bench Program', 'bench', 'USD', 'percent', 0.2 from merchant returning id
        ), membership as (
          insert into program_memberships (program_id, influencer_id)
          select program.id, influencer.id from program, influencer returning id
        )
        insert into tracking_links (slug, program_id, influencer_id, asset, destination_url)
        select s.slug, program.id, influencer.id, s.slug,
               'https://shop.bench.example/products/' || s.i || '?utm_source=skinstack&utm_medium=bench'
          from program, influencer, membership,
               lateral (select i, 'b' || lpad(i::text, 7, '0') as slug
                          from generate_series(1, ${Number(links)}) as i) s`)
    })
    await sql.unsafe('analyze')
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from tracking_links`
    return { ms: Math.round(performance.now() - t0), count: row?.n ?? 0 }
  } finally {
    await sql.end()
  }
}

export async function countClicks(dbUrl: string): Promise<number> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ n: string }[]>`select count(*)::bigint as n from clicks`
    return Number(row?.n ?? 0)
  } finally {
    await sql.end()
  }
}

/** Random secrets for the binary, fresh each run (never printed). */
export function benchSecrets(): Record<string, string> {
  const hex = (bytes: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('hex')
  return { CLICK_ID_KEYS: `b1:${hex(32)}`, IP_HASH_SALT: hex(16), MASTER_KEY: hex(32) }
}

/** `skinstack migrate` against the bench database; throws with the binary's output when it fails. */
export async function migrateWithBinary(
  bin: string,
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const t0 = performance.now()
  const proc = Bun.spawn([bin, 'migrate'], { cwd, env, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`${bin} migrate exited ${code}:\n${out}${err}`)
  return Math.round(performance.now() - t0)
}

/**
 * The database a binary bench runs on: created through the admin URL, migrated by the binary itself, seeded
 * with `links` links; plus the binary's environment (fresh secrets, data under tmp). Marks `scratch` so the
 * bench's cleanup drops it.
 */
export async function prepareBinaryDb(o: {
  adminUrl: string
  dbName: string
  bin: string
  tmp: string
  links: number
  scratch: { databaseUrl: string | undefined }
}): Promise<{
  dbUrl: string
  env: Record<string, string>
  migrateMs: number
  seeded: { ms: number; count: number }
}> {
  const dbUrl = (
    await createBenchDb(o.adminUrl, o.dbName).catch((e: Error) => {
      const where = Object.assign(new URL(o.adminUrl), { password: '' }).toString()
      throw new ToolError(`cannot create a database through ${where} (BENCH_DATABASE_URL): ${e.message}`)
    })
  ).url
  o.scratch.databaseUrl = o.adminUrl
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DATABASE_URL: dbUrl,
    ...benchSecrets(),
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATA_DIR: join(o.tmp, 'data'),
  }
  const migrateMs = await migrateWithBinary(o.bin, env, o.tmp)
  const seeded = await seedLinks(dbUrl, o.links)
  return { dbUrl, env, migrateMs, seeded }
}
