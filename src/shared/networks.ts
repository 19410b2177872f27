// Which query parameters each affiliate network reads on a landing URL. networks.click_param and
// networks.sub_id_param override these per row, so a new network needs only a row, not code.

export interface NetworkParamNames {
  /** Where our signed click id goes; it comes back to us on the network's conversion report. */
  readonly clickParam: string
  /** Where the influencer's handle goes; null when the network has no sub-id slot for it. */
  readonly subIdParam: string | null
  /** networkParams keys a link must set before it can be created (e.g. Amazon's store tag). */
  readonly required: readonly string[]
}

interface Defaults {
  readonly clickParam: string | null
  readonly subIdParam: string | null
  readonly required: readonly string[]
}

const BY_CODE: Readonly<Record<string, Defaults>> = {
  // Impact passes SubId1..3 through to the conversion it reports (PROTOCOLS.md), so our click id
  // rides in subId1 and the handle in subId2. irclickid is Impact's own click id, added by its
  // tracking domain: we never set or strip it, so a destination that already carries one keeps it.
  impact: { clickParam: 'subId1', subIdParam: 'subId2', required: [] },
  // Amazon attributes by the associate store `tag`; `ascsubtag` is its only free-form pass-through.
  amazon: { clickParam: 'ascsubtag', subIdParam: null, required: ['tag'] },
  shopify: { clickParam: 'aff_sub', subIdParam: 'rsub', required: [] },
  refersion: { clickParam: 'aff_sub', subIdParam: 'rsub', required: [] },
}

const GENERIC: Defaults = { clickParam: null, subIdParam: 'sub_id', required: [] }

export interface NetworkRow {
  readonly code: string | null
  readonly clickParam: string | null
  readonly subIdParam: string | null
}

/** generic, none, no network at all and unknown codes share the generic rule. */
export function networkParamNames(network: NetworkRow | null, defaultClickParam: string): NetworkParamNames {
  const d = (network?.code && BY_CODE[network.code.toLowerCase()]) || GENERIC
  return {
    clickParam: network?.clickParam || d.clickParam || defaultClickParam,
    subIdParam: network?.subIdParam || d.subIdParam,
    required: d.required,
  }
}

export const UTM_KEYS = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'] as const
