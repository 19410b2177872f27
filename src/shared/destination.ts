// Where a tracking link sends the shopper: the merchant URL plus UTM, network and sub-id parameters.
// Shared by links/ (validation, previews) and redirect/ (built once per cache fill).

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

export function buildDestination(input: DestinationInput): BuiltDestination {
  const url = new URL(input.destinationUrl)
  for (const [k, v] of Object.entries(input.utm ?? {})) if (!url.searchParams.has(k)) url.searchParams.set(k, v)
  for (const [k, v] of Object.entries(input.networkParams ?? {})) url.searchParams.set(k, v)
  if (input.network?.subIdParam) url.searchParams.set(input.network.subIdParam, input.subId)
  return { url: url.toString(), clickParam: input.network?.clickParam ?? input.defaultClickParam }
}
