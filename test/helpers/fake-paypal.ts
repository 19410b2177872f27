import { randomBytes } from 'node:crypto'
import type { Db } from '../../src/db/store.ts'
import { DEFAULT_FEES, feeCalculator } from '../../src/payouts/providers/fees.ts'
import { createPaypalProvider } from '../../src/payouts/providers/paypal.ts'
import type { PayoutDeps } from '../../src/payouts/run.ts'
import { createLogger } from '../../src/shared/logger.ts'
import type { Fault, SeenRequest } from './fake-stripe.ts'
import { FaultDesk } from './fake-faults.ts'

export type { Fault } from './fake-stripe.ts'

export interface PaypalBatch {
  readonly payout_batch_id: string
  batch_status: string
  readonly sender_batch_id: string
  readonly item: {
    readonly payout_item_id: string
    transaction_status: string
    readonly amount: { readonly value: string; readonly currency: string }
    readonly receiver: string
    readonly sender_item_id: string | undefined
    readonly note: string | undefined
  }
}

export interface FakePaypal extends AsyncDisposable {
  readonly url: string
  readonly clientId: string
  readonly clientSecret: string
  readonly batches: PaypalBatch[]
  readonly seen: SeenRequest[]
  readonly counters: {
    requests: number
    tokensIssued: number
    creates: number
    gets: number
    replays: number
  }
  /** How new batches turn out: the create answer's status, then what the first GET of a PENDING one finds. */
  outcome: { create: 'PENDING' | 'SUCCESS' | 'DENIED'; settle: { batch: string; item: string } }
  tokenTtlSeconds: number
  /** Every issued token stops working (PayPal revoked them): the next API call gets a 401. */
  expireTokens(): void
  /** The next `count` requests of `on` meet `fault` (see fake-stripe.ts for the kinds). */
  fault(fault: Fault, count?: number, on?: 'token' | 'create' | 'get' | 'any'): void
  release(): void
  idle(): Promise<void>
}

interface Answer {
  readonly status: number
  readonly body: unknown
}

type On = 'token' | 'create' | 'get'

const ZERO_DECIMAL = new Set(['JPY', 'HUF', 'TWD'])

/**
 * PayPal's OAuth client-credentials endpoint and Payouts API as documented: Basic auth for tokens that
 * expire, Bearer for the API, PayPal-Request-Id replaying the first answer, sender_batch_id refused a second
 * time with a link to the first batch, and batches that settle when next read.
 */
export async function startFakePaypal(): Promise<FakePaypal> {
  const clientId = `AZ${randomBytes(10).toString('hex')}`
  const clientSecret = `EL${randomBytes(16).toString('hex')}`
  const batches: PaypalBatch[] = []
  const seen: SeenRequest[] = []
  const counters = { requests: 0, tokensIssued: 0, creates: 0, gets: 0, replays: 0 }
  const tokens = new Map<string, number>()
  const requestIds = new Map<string, { answer?: Answer }>()
  const desk = new FaultDesk<On>()
  let url = ''

  const id = (n: number) => randomBytes(n).toString('hex').toUpperCase().slice(0, n)
  const answer = (a: Answer) => Response.json(a.body, { status: a.status })
  const problem = (status: number, name: string, message: string, extra: object = {}): Answer => ({
    status,
    body: { name, message, debug_id: id(13).toLowerCase(), ...extra },
  })
  const links = (b: PaypalBatch) => [
    { href: `${url}/v1/payments/payouts/${b.payout_batch_id}`, rel: 'self', method: 'GET' },
  ]

  function token(headers: Record<string, string>, body: string): Answer {
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
    if (headers.authorization !== basic)
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client Authentication failed' },
      }
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials')
      return {
        status: 400,
        body: { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' },
      }
    const t = `A21AA${randomBytes(24).toString('base64url')}`
    tokens.set(t, Date.now() + fake.tokenTtlSeconds * 1000)
    counters.tokensIssued++
    return {
      status: 200,
      body: {
        scope: 'https://uri.paypal.com/services/payments/payouts',
        access_token: t,
        token_type: 'Bearer',
        app_id: 'APP-FAKE',
        expires_in: fake.tokenTtlSeconds,
        nonce: id(16),
      },
    }
  }

  function validate(body: Record<string, any>): string | null {
    const item = body.items?.[0]
    if (typeof body.sender_batch_header?.sender_batch_id !== 'string')
      return 'sender_batch_header.sender_batch_id'
    if (!Array.isArray(body.items) || body.items.length !== 1 || item.recipient_type !== 'EMAIL')
      return 'items'
    if (typeof item.receiver !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(item.receiver))
      return 'items[0].receiver'
    const { value, currency } = item.amount ?? {}
    const decimals = ZERO_DECIMAL.has(currency) ? '' : String.raw`(\.\d{1,2})?`
    if (!/^[A-Z]{3}$/.test(currency) || !new RegExp(`^\\d+${decimals}$`).test(value)) return 'items[0].amount'
    return null
  }

  function create(body: Record<string, any>): Answer {
    const bad = validate(body)
    if (bad)
      return problem(400, 'VALIDATION_ERROR', 'Invalid request - see details', {
        details: [{ field: bad, location: 'body', issue: 'Invalid value' }],
      })
    const senderBatchId = body.sender_batch_header.sender_batch_id as string
    const used = batches.find((b) => b.sender_batch_id === senderBatchId)
    if (used) {
      const issue = 'Batch with given sender_batch_id already exists'
      return problem(400, 'SENDER_BATCH_ID_ALREADY_USED', issue, {
        details: [{ field: 'sender_batch_id', location: 'body', issue }],
        links: links(used),
      })
    }
    const item = body.items[0]
    const status = fake.outcome.create
    const b: PaypalBatch = {
      payout_batch_id: id(13),
      batch_status: status,
      sender_batch_id: senderBatchId,
      item: {
        payout_item_id: id(13),
        transaction_status:
          status === 'SUCCESS' ? fake.outcome.settle.item : status === 'DENIED' ? 'FAILED' : 'PENDING',
        amount: item.amount,
        receiver: item.receiver,
        sender_item_id: item.sender_item_id,
        note: item.note,
      },
    }
    batches.push(b)
    return {
      status: 201,
      body: {
        batch_header: {
          payout_batch_id: b.payout_batch_id,
          batch_status: b.batch_status,
          sender_batch_header: body.sender_batch_header,
        },
        links: links(b),
      },
    }
  }

  async function createWithFaults(headers: Record<string, string>, raw: string): Promise<Response> {
    counters.creates++
    const fault = desk.take('create')
    if (fault?.kind === 'error')
      return answer(problem(fault.status ?? 500, 'INTERNAL_SERVER_ERROR', 'injected failure'))
    const rid = headers['paypal-request-id']
    const prior = rid ? requestIds.get(rid) : undefined
    if (prior && !prior.answer)
      return answer(
        problem(409, 'REQUEST_IN_PROGRESS', 'A request with this PayPal-Request-Id is in progress'),
      )
    if (prior?.answer) {
      counters.replays++
      return answer(prior.answer)
    }
    if (rid) requestIds.set(rid, {})
    if (fault?.kind === 'hang') {
      await desk.held()
      if (fault.then === 'drop') {
        if (rid) requestIds.delete(rid)
        return answer(problem(500, 'INTERNAL_SERVER_ERROR', 'dropped'))
      }
    }
    let body: Record<string, any>
    try {
      body = JSON.parse(raw)
    } catch {
      return answer(problem(400, 'MALFORMED_REQUEST', 'Malformed JSON'))
    }
    const result = create(body)
    if (rid) requestIds.set(rid, { answer: result })
    if (fault?.kind === 'commit-then-fail')
      return answer(problem(500, 'INTERNAL_SERVER_ERROR', 'injected failure after commit'))
    return answer(result)
  }

  function get(batchId: string): Response {
    counters.gets++
    const fault = desk.take('get')
    if (fault?.kind === 'error')
      return answer(problem(fault.status ?? 500, 'INTERNAL_SERVER_ERROR', 'injected failure'))
    const b = batches.find((x) => x.payout_batch_id === batchId)
    if (!b) return answer(problem(404, 'INVALID_RESOURCE_ID', 'Requested resource ID was not found.'))
    if (b.batch_status === 'PENDING') {
      b.batch_status = fake.outcome.settle.batch
      b.item.transaction_status = fake.outcome.settle.item
    }
    const { item } = b
    return Response.json({
      batch_header: {
        payout_batch_id: b.payout_batch_id,
        batch_status: b.batch_status,
        sender_batch_header: { sender_batch_id: b.sender_batch_id },
        amount: item.amount,
      },
      items: [
        {
          payout_item_id: item.payout_item_id,
          transaction_status: item.transaction_status,
          payout_batch_id: b.payout_batch_id,
          payout_item: {
            recipient_type: 'EMAIL',
            amount: item.amount,
            receiver: item.receiver,
            sender_item_id: item.sender_item_id,
            note: item.note,
          },
        },
      ],
      links: links(b),
    })
  }

  async function handle(req: Request): Promise<Response> {
    counters.requests++
    const u = new URL(req.url)
    const headers = Object.fromEntries(req.headers)
    const raw = req.method === 'POST' ? await req.text() : ''
    const form = headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ? Object.fromEntries(new URLSearchParams(raw))
      : {}
    seen.push({ method: req.method, path: u.pathname + u.search, headers, form })
    if (u.pathname === '/v1/oauth2/token' && req.method === 'POST') {
      const fault = desk.take('token')
      if (fault?.kind === 'error')
        return answer(problem(fault.status ?? 500, 'INTERNAL_SERVER_ERROR', 'injected failure'))
      return answer(token(headers, raw))
    }
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1]
    if (!bearer || (tokens.get(bearer) ?? 0) <= Date.now())
      return Response.json(
        { error: 'invalid_token', error_description: 'Access Token not found in cache' },
        { status: 401 },
      )
    if (u.pathname === '/v1/payments/payouts' && req.method === 'POST') return createWithFaults(headers, raw)
    const m = /^\/v1\/payments\/payouts\/([^/]+)$/.exec(u.pathname)
    if (m?.[1] && req.method === 'GET') return get(decodeURIComponent(m[1]))
    return answer(problem(404, 'NOT_FOUND', `no route ${req.method} ${u.pathname}`))
  }

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (req) => desk.track(handle(req)),
  })
  url = `http://127.0.0.1:${server.port}`

  const fake: FakePaypal = {
    url,
    clientId,
    clientSecret,
    batches,
    seen,
    counters,
    outcome: { create: 'PENDING', settle: { batch: 'SUCCESS', item: 'SUCCESS' } },
    tokenTtlSeconds: 32_400,
    expireTokens() {
      tokens.clear()
    },
    fault(fault, count = 1, on = 'create') {
      desk.add(fault, count, on)
    },
    release: () => desk.release(),
    idle: () => desk.idle(),
    [Symbol.asyncDispose]: () => desk.close(server),
  }
  return fake
}

/** Payout dependencies with PayPal (this fake) as the only provider and the default fees. */
export function paypalPayoutDeps(db: Db, paypal: FakePaypal): PayoutDeps {
  return {
    db,
    log: createLogger('silent'),
    providers: {
      paypal: createPaypalProvider({
        apiBase: paypal.url,
        clientId: paypal.clientId,
        clientSecret: paypal.clientSecret,
        timeoutMs: 1000,
      }),
    },
    fee: feeCalculator(DEFAULT_FEES),
  }
}
