import { createHmac, randomBytes } from 'node:crypto'

// Standard Webhooks (standardwebhooks.com): the signed content is "${webhook-id}.${webhook-timestamp}.${body}",
// HMAC-SHA256 keyed with the base64-decoded part of the secret after "whsec_", sent as "v1,<base64>".

export const SECRET_PREFIX = 'whsec_'

/** A fresh signing secret: 32 random bytes (the spec asks for 24 to 64). */
export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64')
}

/** What the secret is sealed to (secret-box associated data): copied onto another endpoint it will not open. */
export const secretContext = (endpointId: string) => `webhook_endpoint:${endpointId}`

export function signPayload(secret: string, msgId: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
  return `v1,${createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`).digest('base64')}`
}

/** The headers of one attempt; the timestamp is the attempt's, so a receiver's replay window applies to it. */
export function webhookHeaders(secret: string, msgId: string, body: string, nowMs = Date.now()) {
  const timestamp = Math.floor(nowMs / 1000)
  return {
    'content-type': 'application/json',
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signPayload(secret, msgId, timestamp, body),
  }
}
