import { createHmac } from 'node:crypto'

interface Handles {
  handle(req: Request): Response | Promise<Response>
}

/** Standard Webhooks v1 signature, computed here independently of the code under test. */
export function signature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

export const nowSeconds = () => String(Math.floor(Date.now() / 1000))

export function sale(orderId: string, total = '42.00') {
  return JSON.stringify({
    type: 'sale',
    order_id: orderId,
    occurred_at: '2026-11-21T12:00:00Z',
    currency: 'USD',
    total,
    items: [{ sku: 'TONER', quantity: 2, unit_price: '21.00' }],
  })
}

export interface SignedPost {
  device: string
  /** Signing secrets (several → several signatures in the header); defaults to one. */
  secrets: string[]
  id: string
  body: string
  timestamp?: string
  /** The merchant slug header (the route still asks for it; the device decides the merchant). */
  merchantSlug?: string
  signatureHeader?: string
}

/** POST /api/v1/events/conversion signed by a device. */
export async function postSigned(app: Handles, p: SignedPost) {
  const ts = p.timestamp ?? nowSeconds()
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-skinstack-device': p.device,
    'webhook-id': p.id,
    'webhook-timestamp': ts,
    'webhook-signature': p.signatureHeader ?? p.secrets.map((s) => signature(s, p.id, ts, p.body)).join(' '),
  }
  if (p.merchantSlug) headers['x-skinstack-merchant'] = p.merchantSlug
  const res = await app.handle(
    new Request('http://localhost/api/v1/events/conversion', { method: 'POST', body: p.body, headers }),
  )
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
