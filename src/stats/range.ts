import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'

// Rollups are hourly (UTC), so every range is resolved to whole UTC hours: an hour counts when it overlaps
// [from, to). Whole UTC days inside the range may be read from the daily rollups, the edges from the hourly ones.

const HOUR = 3_600_000
const DAY = 86_400_000
export const DEFAULT_DAYS = 30

/** The hours read: [from, to), both on UTC hour boundaries. */
export interface Range {
  readonly from: Date
  readonly to: Date
}

/** The same range as hourly edges plus whole UTC days [fromDay, toDay) ('YYYY-MM-DD'), when there are any. */
export interface SplitRange {
  readonly hours: readonly (readonly [Date, Date])[]
  readonly days: readonly [string, string] | null
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
    formatters.set(tz, f)
  }
  return f
}

/** The zone's wall clock at instant `at`, as if it were UTC (ms). */
function wallClock(at: number, tz: string): number {
  const p: Record<string, number> = {}
  for (const part of formatter(tz).formatToParts(at)) p[part.type] = Number(part.value)
  return Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0)
}

/** Offset of the zone from UTC at `at`, in minutes (Paris in summer: 120). */
export function offsetMinutes(at: number, tz: string): number {
  return Math.round((wallClock(Math.floor(at / 1000) * 1000, tz) - Math.floor(at / 1000) * 1000) / 60_000)
}

/** The instant a local date ('YYYY-MM-DD') starts in the zone (the first instant after a DST gap at midnight). */
export function zonedMidnight(date: string, tz: string): Date {
  const local = Date.parse(`${date}T00:00:00Z`)
  const guess = offsetMinutes(local, tz)
  const actual = offsetMinutes(local - guess * 60_000, tz)
  return new Date(local - actual * 60_000)
}

/** The local date ('YYYY-MM-DD') of an instant in the zone. */
export function localDate(at: Date, tz: string): string {
  return new Date(wallClock(at.getTime(), tz)).toISOString().slice(0, 10)
}

/** An offset in minutes as ±HH:MM (330 → "+05:30"). */
export function formatOffset(minutes: number): string {
  const abs = Math.abs(minutes)
  const hh = String(Math.floor(abs / 60)).padStart(2, '0')
  return `${minutes < 0 ? '-' : '+'}${hh}:${String(abs % 60).padStart(2, '0')}`
}

const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/
let pgZones: Promise<Set<string>> | undefined

/** The IANA name as Intl spells it, known to both Intl and Postgres; 400 otherwise. */
export async function checkTimeZone(store: Store, name: string): Promise<string> {
  const bad = () => new HttpError(400, 'invalid_time_zone', `unknown IANA time zone "${name}"`)
  if (!ZONE_NAME.test(name)) throw bad()
  let canonical: string
  try {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    throw bad()
  }
  pgZones ??= store
    .query<{ name: string }>('select name from pg_timezone_names')
    .then((rows) => new Set(rows.map((r) => r.name.toLowerCase())))
    .catch((err) => {
      pgZones = undefined
      throw err
    })
  const zones = await pgZones
  if (zones.has(canonical.toLowerCase())) return canonical
  if (zones.has(name.toLowerCase())) return name
  throw bad()
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/** An instant from RFC 3339 (with Z or an offset) or a local date in the zone; `end` makes a date inclusive. */
function parseBound(value: string, field: string, tz: string, end: boolean): Date {
  if (DATE_ONLY.test(value)) {
    const start = zonedMidnight(value, tz)
    if (Number.isNaN(start.getTime())) throw invalid(field, value)
    if (!end) return start
    const next = new Date(Date.parse(`${value}T00:00:00Z`) + DAY).toISOString().slice(0, 10)
    return zonedMidnight(next, tz)
  }
  if (!/(Z|[+-]\d{2}:\d{2})$/i.test(value)) throw invalid(field, value)
  const t = Date.parse(value)
  if (Number.isNaN(t)) throw invalid(field, value)
  return new Date(t)
}

const invalid = (field: string, value: string) =>
  new HttpError(
    400,
    'invalid_request',
    `${field}: "${value}" is neither a date (YYYY-MM-DD) nor a date-time with an offset`,
  )

/**
 * [from, to) resolved to whole UTC hours, every hour overlapping it (default: from the local midnight 29 days
 * before today's, to now: 30 days, today included). A
 * date-only `to` includes that day; a date-only `from` in a zone whose midnight falls inside an hour starts
 * with the next hour, which is where that day's first bucket starts. `maxDays` bounds the span (422 beyond it).
 */
export function resolveRange(q: { from?: string; to?: string }, tz: string, now: Date, maxDays = 400): Range {
  const to = q.to ? parseBound(q.to, 'to', tz, true) : now
  // By default the 30 local days up to the one `to` falls in: whole days, so most of the range reads daily rollups.
  const firstDay = () => {
    const last = Date.parse(`${localDate(new Date(to.getTime() - 1), tz)}T00:00:00Z`)
    return new Date(last - (DEFAULT_DAYS - 1) * DAY).toISOString().slice(0, 10)
  }
  const from = q.from ? parseBound(q.from, 'from', tz, false) : zonedMidnight(firstDay(), tz)
  // A local midnight inside an hour (India, Nepal) starts its day with the next hour: see the timeseries rule.
  const dateOnly = q.from === undefined || DATE_ONLY.test(q.from)
  const h0 = (dateOnly ? Math.ceil : Math.floor)(from.getTime() / HOUR) * HOUR
  const h1 = Math.ceil(to.getTime() / HOUR) * HOUR
  if (h1 <= h0) throw new HttpError(422, 'invalid_range', '`from` must be before `to`')
  if (h1 - h0 > maxDays * DAY)
    throw new HttpError(422, 'range_too_large', `the range spans more than ${maxDays} days`)
  return { from: new Date(h0), to: new Date(h1) }
}

/** Whole UTC days inside the range, and the hourly edges around them. */
export function splitRange(r: Range): SplitRange {
  const h0 = r.from.getTime()
  const h1 = r.to.getTime()
  const d0 = Math.ceil(h0 / DAY) * DAY
  const d1 = Math.floor(h1 / DAY) * DAY
  if (d1 <= d0) return { hours: [[r.from, r.to]], days: null }
  const hours: [Date, Date][] = []
  if (h0 < d0) hours.push([r.from, new Date(d0)])
  if (d1 < h1) hours.push([new Date(d1), r.to])
  const day = (t: number) => new Date(t).toISOString().slice(0, 10)
  return { hours, days: [day(d0), day(d1)] }
}
