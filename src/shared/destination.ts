// Where a tracking link sends the shopper: the merchant URL plus UTM, network and sub-id parameters.
// Shared by links/ (validation, previews) and redirect/ (built once per cache fill).
import { networkParamNames, UTM_KEYS } from './networks.ts'

export interface NetworkRules {
  /** networks.code: impact, amazon, shopify, refersion, generic, … (null: no network) */
  readonly code: string | null
  /** networks.click_param / sub_id_param override the per-code defaults when set. */
  readonly clickParam: string | null
  readonly subIdParam: string | null
}

export interface DestinationInput {
  readonly destinationUrl: string
  readonly utm: Readonly<Record<string, string>> | null
  readonly networkParams: Readonly<Record<string, string>> | null
  readonly network: NetworkRules | null
  /** The influencer's handle: written where the network expects a sub id. */
  readonly subId: string
  /** Config's CLICK_ID_PARAM, used when the network names no click parameter. */
  readonly defaultClickParam: string
}

export interface BuiltDestination {
  /** Absolute URL without our click id. */
  readonly url: string
  /** Query parameter the redirect appends the signed click id under. */
  readonly clickParam: string
}

export const DESTINATION_MAX_LENGTH = 2048

export type DestinationProblem =
  'type' | 'length' | 'whitespace' | 'control' | 'backslash' | 'scheme' | 'invalid' | 'credentials' | 'host'

export type DestinationCheck =
  { ok: true; url: string } | { ok: false; reason: DestinationProblem; message: string }

const fail = (reason: DestinationProblem, message: string): DestinationCheck => ({
  ok: false,
  reason,
  message,
})

// C0, DEL, C1 and the Unicode line/paragraph separators: anything a header or log line could split on.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
// The same, percent-encoded once or twice (%0d, %250d): a later decode must not produce them either.
const ENCODED_CONTROL = /%(?:25)?(?:[01][0-9a-f]|7f)/i

/**
 * Accepts only absolute http(s) URLs a browser will resolve exactly as written: the WHATWG parser
 * forgives `https:\\evil.com`, `https:evil.com` and stray whitespace, so these are refused before parsing
 * rather than normalised into something the caller did not see. Returns the serialised (ASCII) URL.
 */
export function validateDestination(raw: unknown): DestinationCheck {
  if (typeof raw !== 'string') return fail('type', 'destination must be a string')
  if (raw.length > DESTINATION_MAX_LENGTH)
    return fail('length', `destination is longer than ${DESTINATION_MAX_LENGTH} characters (${raw.length})`)
  if (raw !== raw.trim()) return fail('whitespace', 'destination has leading or trailing whitespace')
  if (CONTROL.test(raw)) return fail('control', 'destination contains control characters (CR, LF, TAB, …)')
  if (ENCODED_CONTROL.test(raw))
    return fail('control', 'destination contains percent-encoded control characters (%0d, %0a, …)')
  if (raw.includes('\\')) return fail('backslash', 'destination contains a backslash')
  if (!/^https?:\/\//i.test(raw))
    return fail('scheme', 'destination must be an absolute URL starting with http:// or https://')
  if (!URL.canParse(raw)) return fail('invalid', 'destination is not a valid URL')
  const url = new URL(raw)
  const authority = raw.slice(raw.indexOf('//') + 2).split(/[/?#]/, 1)[0] ?? ''
  if (!authority) return fail('host', 'destination has no host')
  if (url.username || url.password || authority.includes('@'))
    return fail('credentials', 'destination must not contain user:password@ credentials')
  if (!url.hostname || url.hostname === '.') return fail('host', 'destination has no host')
  if (url.href.length > DESTINATION_MAX_LENGTH)
    return fail('length', `destination is longer than ${DESTINATION_MAX_LENGTH} characters once encoded`)
  return { ok: true, url: url.href }
}

/**
 * Adds the network's parameters to the merchant URL. The existing query string is kept byte for byte
 * (URLSearchParams would re-encode it, breaking signed or oddly encoded merchant URLs); only parameters
 * we own are replaced: networkParams, the sub-id param, and the click param (removed, the redirect appends
 * it). UTM values fill in only keys the URL does not already have. The fragment stays last.
 */
export function buildDestination(input: DestinationInput): BuiltDestination {
  const names = networkParamNames(input.network, input.defaultClickParam)
  const { base, query, hash } = splitUrl(new URL(input.destinationUrl).href)

  const owned = new Map<string, string>()
  for (const [k, v] of Object.entries(input.networkParams ?? {})) owned.set(k, v)
  if (names.subIdParam && input.subId) owned.set(names.subIdParam, input.subId)

  const kept = query.split('&').filter((seg) => {
    if (seg === '') return false
    const key = keyOf(seg)
    return key !== names.clickParam && !owned.has(key)
  })
  const present = new Set(kept.map(keyOf))
  const added = [...owned].map(([k, v]) => pair(k, v))
  for (const k of UTM_KEYS) {
    const v = input.utm?.[k]
    if (v && !present.has(k) && !owned.has(k)) added.push(pair(k, v))
  }
  const all = kept.concat(added)
  return { url: `${base}${all.length ? `?${all.join('&')}` : ''}${hash}`, clickParam: names.clickParam }
}

function splitUrl(href: string): { base: string; query: string; hash: string } {
  const h = href.indexOf('#')
  const beforeHash = h < 0 ? href : href.slice(0, h)
  const q = beforeHash.indexOf('?')
  return {
    base: q < 0 ? beforeHash : beforeHash.slice(0, q),
    query: q < 0 ? '' : beforeHash.slice(q + 1),
    hash: h < 0 ? '' : href.slice(h),
  }
}

const pair = (k: string, v: string) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`

/** The decoded key of one `k=v` segment, as a server would read it (`+` is a space). */
function keyOf(segment: string): string {
  const eq = segment.indexOf('=')
  const raw = (eq < 0 ? segment : segment.slice(0, eq)).replaceAll('+', ' ')
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}
