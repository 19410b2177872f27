// One HTTP attempt: POST, never follow redirects (a 3xx is a failure the endpoint's owner must fix, and following
// one could carry the payload somewhere unexpected), give up after the timeout, keep the answer's first bytes.

export interface AttemptResult {
  readonly ok: boolean
  readonly statusCode: number | null
  readonly error: string | null
  readonly durationMs: number
  readonly snippet: string | null
}

const SNIPPET_BYTES = 500

export async function sendWebhook(o: {
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  fetch?: typeof fetch
}): Promise<AttemptResult> {
  const t0 = performance.now()
  const elapsed = () => Math.round(performance.now() - t0)
  try {
    const res = await (o.fetch ?? fetch)(o.url, {
      method: 'POST',
      headers: { 'user-agent': 'SkinStack-Webhooks/1', ...o.headers },
      body: o.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(o.timeoutMs),
    })
    const snippet = await readSnippet(res).catch(() => null)
    const ok = res.status >= 200 && res.status < 300
    return {
      ok,
      statusCode: res.status,
      error: ok ? null : `HTTP ${res.status}`,
      durationMs: elapsed(),
      snippet,
    }
  } catch (err) {
    const e = err as Error
    const error =
      e?.name === 'TimeoutError'
        ? `timed out after ${o.timeoutMs} ms`
        : `${e?.name ?? 'Error'}: ${e?.message ?? e}`
    return { ok: false, statusCode: null, error: error.slice(0, 500), durationMs: elapsed(), snippet: null }
  }
}

/** At most SNIPPET_BYTES of the body, without reading the rest; NULs removed (Postgres text refuses them). */
async function readSnippet(res: Response): Promise<string | null> {
  if (!res.body) return null
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let n = 0
  try {
    while (n < SNIPPET_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      n += value.length
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks).subarray(0, SNIPPET_BYTES))
  return text.replaceAll('\u0000', '')
}
