import { randomBytes } from 'node:crypto'
import { FaultDesk } from './fake-faults.ts'

/**
 * How the next matching request goes wrong. 'error': answered with `status` before anything is done (a load
 * balancer's 500). 'hang': held (after taking its idempotency key) until release(), then carried out
 * ('commit', the default) or dropped; the client times out meanwhile. 'commit-then-fail': carried out and its
 * answer saved for replay, but answered 500 — the crash between "sent" and "recorded". 'commit-then-hang':
 * carried out and saved, its answer held until release() — a runner killed while waiting for it.
 */
export type Fault =
  | { readonly kind: 'error'; readonly status?: number }
  | { readonly kind: 'hang'; readonly then?: 'commit' | 'drop' }
  | { readonly kind: 'commit-then-fail' }
  | { readonly kind: 'commit-then-hang' }

export interface StripeTransfer {
  readonly id: string
  readonly object: 'transfer'
  readonly amount: number
  readonly currency: string
  readonly destination: string
  readonly transfer_group: string | null
  readonly description: string | null
  readonly metadata: Record<string, string>
  reversed: boolean
  readonly created: number
}

export interface SeenRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly form: Record<string, string>
}

export interface FakeStripe extends AsyncDisposable {
  readonly url: string
  readonly secretKey: string
  readonly transfers: StripeTransfer[]
  readonly seen: SeenRequest[]
  readonly counters: { requests: number; creates: number; lists: number; replays: number }
  /** The next `count` requests of `on` meet `fault`. */
  fault(fault: Fault, count?: number, on?: 'create' | 'list' | 'any'): void
  /** Lets every held ('hang') request go on. */
  release(): void
  /** Resolves once every request received so far has finished, held ones included. */
  idle(): Promise<void>
}

interface Answer {
  readonly status: number
  readonly body: unknown
}

const IDEMPOTENCY_MISMATCH =
  'Keys for idempotent requests can only be used with the same parameters they were first used with.'

/** Stripe's transfers API as documented: Bearer key, form bodies, Idempotency-Key replay, list by group. */
export async function startFakeStripe(opts: { accounts?: readonly string[] } = {}): Promise<FakeStripe> {
  const secretKey = `sk_test_${randomBytes(12).toString('hex')}`
  const transfers: StripeTransfer[] = []
  const seen: SeenRequest[] = []
  const counters = { requests: 0, creates: 0, lists: 0, replays: 0 }
  const desk = new FaultDesk<'create' | 'list'>()
  // Idempotency-Key → the parameters first sent with it and, once carried out, the answer to replay.
  const keys = new Map<string, { params: string; answer?: Answer }>()

  const answer = (a: Answer, headers: Record<string, string> = {}) =>
    Response.json(a.body, { status: a.status, headers })
  const error = (status: number, type: string, message: string, code?: string): Answer => ({
    status,
    body: { error: { type, message, ...(code ? { code } : {}) } },
  })

  function transfer(form: Record<string, string>): Answer {
    const amount = form.amount ?? ''
    if (!/^[1-9]\d*$/.test(amount))
      return error(400, 'invalid_request_error', 'Invalid integer: amount', 'parameter_invalid_integer')
    if (!/^[a-z]{3}$/.test(form.currency ?? ''))
      return error(400, 'invalid_request_error', 'Invalid currency', 'parameter_invalid_empty')
    const destination = form.destination ?? ''
    if (!destination.startsWith('acct_') || (opts.accounts && !opts.accounts.includes(destination)))
      return error(400, 'invalid_request_error', `No such destination: '${destination}'`, 'resource_missing')
    const metadata: Record<string, string> = {}
    for (const [k, v] of Object.entries(form)) {
      const m = /^metadata\[(.+)\]$/.exec(k)
      if (m?.[1]) metadata[m[1]] = v
    }
    const t: StripeTransfer = {
      id: `tr_${randomBytes(12).toString('hex')}`,
      object: 'transfer',
      amount: Number(amount),
      currency: form.currency ?? '',
      destination,
      transfer_group: form.transfer_group ?? null,
      description: form.description ?? null,
      metadata,
      reversed: false,
      created: Math.floor(Date.now() / 1000),
    }
    transfers.push(t)
    return { status: 200, body: t }
  }

  async function create(headers: Record<string, string>, form: Record<string, string>): Promise<Response> {
    counters.creates++
    const fault = desk.take('create')
    if (fault?.kind === 'error') return answer(error(fault.status ?? 500, 'api_error', 'injected failure'))
    const key = headers['idempotency-key']
    const params = JSON.stringify(Object.entries(form).sort(([a], [b]) => a.localeCompare(b)))
    const prior = key ? keys.get(key) : undefined
    if (prior && prior.params !== params) return answer(error(400, 'idempotency_error', IDEMPOTENCY_MISMATCH))
    if (prior && !prior.answer)
      return answer(
        error(
          409,
          'invalid_request_error',
          'Another request with this key is in progress',
          'idempotency_key_in_use',
        ),
        { 'stripe-should-retry': 'true' },
      )
    if (prior?.answer) {
      counters.replays++
      return answer(prior.answer, { 'idempotent-replayed': 'true' })
    }
    if (key) keys.set(key, { params })
    if (fault?.kind === 'hang') {
      await desk.held()
      if (fault.then === 'drop') {
        if (key) keys.delete(key)
        return answer(error(500, 'api_error', 'dropped'))
      }
    }
    const result = transfer(form)
    // Stripe saves no result for a request that failed validation: the key may be used again.
    if (key && result.status >= 400 && result.status < 500) keys.delete(key)
    else if (key) keys.set(key, { params, answer: result })
    if (fault?.kind === 'commit-then-fail')
      return answer(error(500, 'api_error', 'injected failure after commit'))
    if (fault?.kind === 'commit-then-hang') await desk.held()
    return answer(result)
  }

  function listTransfers(url: URL): Response {
    counters.lists++
    const fault = desk.take('list')
    if (fault?.kind === 'error') return answer(error(fault.status ?? 500, 'api_error', 'injected failure'))
    const group = url.searchParams.get('transfer_group')
    const limit = Number(url.searchParams.get('limit') ?? '10')
    const data = transfers
      .filter((t) => group === null || t.transfer_group === group)
      .reverse()
      .slice(0, limit)
    return Response.json({ object: 'list', url: '/v1/transfers', has_more: false, data })
  }

  async function handle(req: Request): Promise<Response> {
    counters.requests++
    const url = new URL(req.url)
    const headers = Object.fromEntries(req.headers)
    const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(await req.text())) : {}
    seen.push({ method: req.method, path: url.pathname + url.search, headers, form })
    if (headers.authorization !== `Bearer ${secretKey}`)
      return answer(error(401, 'invalid_request_error', 'Invalid API Key provided: sk_test_****'))
    if (url.pathname === '/v1/transfers' && req.method === 'POST') {
      if (!headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
        return answer(error(400, 'invalid_request_error', 'Invalid request: expected a form body'))
      return create(headers, form)
    }
    if (url.pathname === '/v1/transfers' && req.method === 'GET') return listTransfers(url)
    return answer(
      error(404, 'invalid_request_error', `Unrecognized request URL (${req.method}: ${url.pathname})`),
    )
  }

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (req) => desk.track(handle(req)),
  })

  const fake: FakeStripe = {
    url: `http://127.0.0.1:${server.port}`,
    secretKey,
    transfers,
    seen,
    counters,
    fault(fault, count = 1, on = 'create') {
      desk.add(fault, count, on)
    },
    release: () => desk.release(),
    idle: () => desk.idle(),
    [Symbol.asyncDispose]: () => desk.close(server),
  }
  return fake
}
