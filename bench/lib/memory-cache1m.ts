// RSS of the redirect's link cache holding N links, measured in a child Bun process of its own so that
// nothing of the bench (its fetch client, postgres pools, result arrays) sits in the reading.
//
// What is measured: the real createLinkCache (src/redirect/link-cache.ts) sized for N, filled through its
// real miss path — bySlug → lru-cache fetch → loadLinkBySlug → toCached → buildDestination — so every entry
// is the CachedLink object the server would hold. Only the database is replaced: a stub Store answers the
// one query the cache makes with a row shaped as postgres.js hands it over (fresh strings per row). RSS is
// read with modules loaded and before the cache exists, with the cache constructed (lru-cache preallocates
// its N-slot arrays), and after the fill, each after a full GC.
import { readProc, track } from './procs.ts'

export interface Cache1mResult {
  entries: number
  /** Modules loaded, no cache yet: the zero the per-entry cost is taken from. */
  rssBeforeMiB: number
  /** The cache constructed for `entries` but empty (its preallocated slot arrays). */
  rssEmptyCacheMiB: number
  rssAfterMiB: number
  /** (after − before) / entries: the slot arrays, the key and the CachedLink with its strings. */
  bytesPerEntry: number
  /** The JS heap after the fill (bun:jsc heapStats), beside RSS, which also holds the allocator's slack. */
  heapAfterMiB: number
  fillMs: number
  /** Mean lengths of what was cached, to show the entries are the realistic size. */
  meanChars: { slug: number; base: number }
}

/** Spawns this file as the child and returns its reading (thrown with its output if it fails). */
export async function measureCache1m(entries: number): Promise<Cache1mResult> {
  const proc = track(
    Bun.spawn([process.execPath, import.meta.path, String(entries)], {
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    }),
  )
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  if (code !== 0) throw new Error(`cache child exited ${code}:\n${out}${err}`)
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Cache1mResult
}

const MiB = 1024 * 1024

/** A full collection, then a pause: the allocator's scavenger hands freed pages back on its own schedule. */
async function settledRss(): Promise<number> {
  Bun.gc(true)
  await Bun.sleep(500)
  Bun.gc(true)
  return (await readProc(process.pid)).rssMiB
}

async function child(entries: number): Promise<Cache1mResult> {
  // Loaded before the first reading, so their code and data are in the zero.
  const { createLinkCache } = await import('../../src/redirect/link-cache.ts')
  const { SLUG_ALPHABET } = await import('../../src/shared/slug.ts')
  const { heapStats } = await import('bun:jsc')
  const rows = rowMaker(SLUG_ALPHABET)

  // No slug list is kept: the fill and the check derive each slug from its index, so the only copies
  // alive after the fill are the ones the cache itself holds.
  const store = {
    query: async (_text: string, params: unknown[] = []) => [rows.row(params[0] as string)],
  } as unknown as Parameters<typeof createLinkCache>[0]['store']

  const rssBeforeMiB = await settledRss()
  // Sized as LINK_CACHE_SIZE=entries would size it; the other options are the config defaults.
  const cache = createLinkCache({
    store,
    size: entries,
    negativeSize: 10_000,
    negativeTtlMs: 30_000,
    clickIdParam: 'sk_cid',
  })
  const rssEmptyCacheMiB = await settledRss()

  const t0 = performance.now()
  const batch = 10_000
  for (let i = 0; i < entries; i += batch) {
    const pending: Promise<unknown>[] = []
    for (let j = i; j < Math.min(entries, i + batch); j++) {
      const r = cache.bySlug(rows.slugAt(j))
      if (r instanceof Promise) pending.push(r)
    }
    const links = await Promise.all(pending)
    if (links.some((l) => !l)) throw new Error('a stub row did not become a cached link')
  }
  const fillMs = Math.round(performance.now() - t0)

  let slugChars = 0
  let baseChars = 0
  for (let i = 0; i < entries; i++) {
    const hit = cache.bySlug(rows.slugAt(i))
    if (!hit || hit instanceof Promise) throw new Error(`entry ${i} is not cached after the fill`)
    slugChars += hit.slug.length
    baseChars += hit.base.length
  }
  if (cache.stats.misses !== entries || cache.stats.hits !== entries)
    throw new Error(`expected ${entries} misses then hits, got ${JSON.stringify(cache.stats)}`)

  const rssAfterMiB = await settledRss()
  return {
    entries,
    rssBeforeMiB,
    rssEmptyCacheMiB,
    rssAfterMiB,
    bytesPerEntry: Math.round(((rssAfterMiB - rssBeforeMiB) * MiB) / entries),
    heapAfterMiB: Math.round((heapStats().heapSize / MiB) * 10) / 10,
    fillMs,
    meanChars: {
      slug: Math.round((slugChars / entries) * 10) / 10,
      base: Math.round((baseChars / entries) * 10) / 10,
    },
  }
}

/**
 * Slugs and link rows as the server meets them. Slugs: 80% 7-character random-looking ones from the
 * generator's alphabet, 20% longer custom ones (8-10). Ids are uuid strings; the program, influencer and
 * campaign ids repeat across links (as in a real tenant) but each row has its own copy of the string,
 * because postgres.js decodes every row's text afresh. Destinations are ~80 characters.
 */
function rowMaker(alphabet: string) {
  const SPACE = 27 ** 7
  // Odd and not a multiple of 3, so i → i·M mod 27^7 is a bijection: unique slugs that look random.
  const M = 2_654_435_761
  const slugAt = (i: number): string => {
    let x = (i * M + 12_345) % SPACE
    let s = ''
    for (let k = 0; k < 7; k++, x = Math.floor(x / 27)) s += alphabet[x % 27]
    if (i % 5 === 0) for (let k = 0; k <= i % 3; k++) s += alphabet[(i >> (k * 4)) % 27]
    return s
  }
  // A new flat string with the same text, as a driver's decode would produce.
  const fresh = (s: string) => Buffer.from(s, 'latin1').toString('latin1')
  const pool = (n: number) => Array.from({ length: n }, () => crypto.randomUUID())
  const programs = pool(40)
  const influencers = pool(2_000)
  const campaigns = pool(5_000)
  const shops = ['glowlab-skincare', 'dermapure', 'the-serum-co', 'lumiere-beauty', 'hydra-botanics']
  const row = (slug: string) => {
    const i = Number.parseInt(slug.slice(0, 7).split('').reverse().join(''), 36) // any per-slug spread
    return {
      id: crypto.randomUUID(),
      slug: fresh(slug),
      program_id: fresh(programs[i % programs.length] as string),
      influencer_id: fresh(influencers[i % influencers.length] as string),
      campaign_id: i % 2 ? fresh(campaigns[i % campaigns.length] as string) : null,
      destination_url: `https://www.${shops[i % shops.length]}.com/products/vitamin-c-serum-${i % 9973}?variant=${40_000_000 + (i % 999_983)}`,
      utm: null,
      network_params: null,
      active: true,
      program_active: true,
      expires_at: null,
      cookie_window_days: 30,
      network_code: null,
      click_param: null,
      sub_id_param: null,
      handle: fresh(`creator-${i % influencers.length}`),
    }
  }
  return { slugAt, row }
}

if (import.meta.main) {
  const entries = Number(Bun.argv[2] ?? 1_000_000)
  if (!Number.isInteger(entries) || entries < 1) throw new Error(`entries: "${Bun.argv[2]}"`)
  console.log(JSON.stringify(await child(entries)))
}
