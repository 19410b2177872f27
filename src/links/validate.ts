// Field rules for link input, pure: the service runs them before touching the database, so a bad
// request costs no query and a bulk request names every bad item at once.
import { validateDestination } from '../shared/destination.ts'
import { networkParamNames, UTM_KEYS } from '../shared/networks.ts'
import { checkCustomSlug } from '../shared/slug.ts'
import { type Problem, problem } from './problems.ts'

type Params = Record<string, string>

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
const PARAM_KEY = /^[A-Za-z0-9_.[\]-]{1,64}$/
const ASSET = /^[a-z0-9][a-z0-9_-]{0,63}$/
// An explicit offset or Z: a bare local time would mean whatever the server's zone is.
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i

export function checkSlugField(slug: string): Problem | undefined {
  const r = checkCustomSlug(slug)
  return r.ok ? undefined : problem(400, 'invalid_slug', 'slug', r.message, r.reason)
}

export function checkDestinationField(raw: string): Problem | string {
  const r = validateDestination(raw)
  return r.ok ? r.url : problem(400, 'invalid_destination', 'destinationUrl', r.message, r.reason)
}

/** JSON object of strings, or null. The route schema leaves these untyped: Elysia's normaliser turns a
 * string or number into an object before validating a t.Record, so the check has to happen here. */
export const isParams = (v: unknown): v is Params =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string')

export function checkUtm(utm: unknown): Problem | undefined {
  if (utm === null || utm === undefined) return undefined
  if (!isParams(utm))
    return problem(400, 'invalid_utm', 'utm', 'utm must be an object of string values, or null')
  for (const [k, v] of Object.entries(utm)) {
    if (!(UTM_KEYS as readonly string[]).includes(k))
      return problem(
        400,
        'invalid_utm',
        `utm.${k}`,
        `unknown UTM key "${k}"; allowed: ${UTM_KEYS.join(', ')}`,
      )
    if (v.length < 1 || v.length > 256 || CONTROL.test(v))
      return problem(
        400,
        'invalid_utm',
        `utm.${k}`,
        `${k} must be 1-256 characters without control characters`,
      )
  }
  return undefined
}

export function checkNetworkParams(params: unknown): Problem | undefined {
  if (params === null || params === undefined) return undefined
  if (!isParams(params))
    return problem(
      400,
      'invalid_network_params',
      'networkParams',
      'networkParams must be an object of string values, or null',
    )
  const entries = Object.entries(params)
  if (entries.length > 20)
    return problem(400, 'invalid_network_params', 'networkParams', 'at most 20 network parameters')
  for (const [k, v] of entries) {
    if (!PARAM_KEY.test(k))
      return problem(
        400,
        'invalid_network_params',
        `networkParams.${k}`,
        `"${k}" is not a valid parameter name`,
      )
    if (k.toLowerCase().startsWith('utm_'))
      return problem(400, 'invalid_network_params', `networkParams.${k}`, 'UTM parameters belong in "utm"')
    if (v.length < 1 || v.length > 512 || CONTROL.test(v))
      return problem(
        400,
        'invalid_network_params',
        `networkParams.${k}`,
        `${k} must be 1-512 characters without control characters`,
      )
  }
  return undefined
}

export function checkAsset(asset: string | null): Problem | undefined {
  if (asset === null || ASSET.test(asset)) return undefined
  return problem(
    400,
    'invalid_asset',
    'asset',
    'asset must be 1-64 characters of a-z, 0-9, "-", "_", starting with a letter or digit',
  )
}

export function checkExpiresAt(raw: string | null, now: Date): Problem | Date | null {
  if (raw === null) return null
  const ms = ISO_WITH_ZONE.test(raw) ? Date.parse(raw) : Number.NaN
  if (Number.isNaN(ms))
    return problem(
      400,
      'invalid_expires_at',
      'expiresAt',
      'expiresAt must be an ISO 8601 date-time with a zone, like 2030-01-31T23:59:59Z',
      'format',
    )
  if (ms <= now.getTime())
    return problem(400, 'invalid_expires_at', 'expiresAt', 'expiresAt must be in the future', 'past')
  return new Date(ms)
}

export interface NetworkContext {
  readonly code: string | null
  readonly clickParam: string | null
  readonly subIdParam: string | null
}

/** The network decides which parameters a link must carry and which ones SkinStack owns. */
export function checkAgainstNetwork(
  params: Params | null,
  network: NetworkContext | null,
  defaultClickParam: string,
): Problem | undefined {
  const names = networkParamNames(network, defaultClickParam)
  for (const key of names.required)
    if (!params?.[key])
      return problem(
        400,
        'missing_network_param',
        `networkParams.${key}`,
        `the program's network (${network?.code}) requires networkParams.${key}`,
      )
  for (const key of [names.clickParam, names.subIdParam])
    if (key && params && key in params)
      return problem(
        400,
        'invalid_network_params',
        `networkParams.${key}`,
        `"${key}" is set by SkinStack on every click for this network; remove it from networkParams`,
      )
  return undefined
}
