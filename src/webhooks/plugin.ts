import { Elysia, t } from 'elysia'
import { Counter, type Registry } from 'prom-client'
import { needs } from '../auth/ownership.ts'
import { adminErrors, ApiError, principalAuth } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import type { WebhookIntake } from './intake.ts'
import { EventFailedError } from './pipeline.ts'
import {
  PostbackParams,
  SecretInput,
  SecretKeyParams,
  SecretParams,
  SecretView,
  WebhookAccepted,
  WebhookParams,
} from './model.ts'
import { createSecret, deactivateSecret, listSecrets } from './secrets.ts'
import { ADAPTERS } from './registry.ts'

type Outcome = 'processed' | 'duplicate' | 'refused' | 'invalid' | 'unavailable'

interface PostbackContext {
  params: { merchant: string }
  request: Request
  set: { status?: number | string; headers: Record<string, string | number> }
}

const POSTBACK_SUMMARY = 'Receive a network postback (sale) carrying our click id'
const POSTBACK_DESCRIPTION =
  'Parameters (query for GET, form body for POST): click_id (our signed click id, required and verified), ' +
  'order_id, amount (decimal string), currency, token (the merchant postback secret), optional sub_id, coupon, ' +
  'occurred_at (ISO 8601), test. 200 first time, 202 repeat, 401 bad token or click id, 422 missing fields.'

export const webhooksPlugin = (d: { intake: WebhookIntake; log: Logger; registry: Registry }) => {
  const deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook deliveries by source and outcome (refused = bad or missing signature)',
    labelNames: ['source', 'outcome'] as const,
    registers: [d.registry],
  })
  const { intake } = d
  const count = (source: string, outcome: Outcome) =>
    deliveries.inc({ source: ADAPTERS.has(source) ? source : 'unknown', outcome })
  /** Shared by every receiver: status by outcome, 503 + Retry-After when nothing could be stored. */
  const receive = async (
    source: string,
    merchantSlug: string | null,
    rawBody: string,
    headers: Headers,
    set: { status?: number | string; headers: Record<string, string | number> },
  ) => {
    const adapter = ADAPTERS.get(source)
    if (!adapter) {
      count(source, 'invalid')
      throw new HttpError(404, 'unknown_source', `no webhook source "${source}"`)
    }
    try {
      const r = await intake.receive({ adapter, merchantSlug, rawBody, headers })
      set.status = r.duplicate ? 202 : 200
      count(source, r.duplicate ? 'duplicate' : 'processed')
      return {
        status: r.duplicate ? ('duplicate' as const) : ('processed' as const),
        eventId: r.eventId,
        conversionIds: r.conversionIds,
      }
    } catch (err) {
      if (err instanceof HttpError) {
        count(source, err.status === 401 ? 'refused' : 'invalid')
        if (err.status === 401) d.log.warn({ source, reason: err.code }, 'webhook refused')
        throw err
      }
      count(source, 'unavailable')
      set.headers['retry-after'] = '30'
      // Nothing of the processing was committed (one transaction); a failure that will recur is kept on the
      // event as 'failed'. Either way the provider's retry (or `skinstack webhooks replay`) completes it.
      if (err instanceof EventFailedError) {
        d.log.error({ err: err.cause, source, eventId: err.eventId }, 'webhook failed; kept as failed')
        throw new HttpError(503, 'processing_failed', 'the event could not be processed; retry later')
      }
      d.log.error({ err, source }, 'webhook not stored; asking the sender to retry')
      throw new HttpError(503, 'unavailable', 'could not store the event; retry later')
    }
  }

  // The postback's parameters are its signed content: GET carries them in the query, POST in a form body.
  const postback = async ({ params, request, set }: PostbackContext) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : ''
    const body = request.method === 'POST' ? await request.text() : ''
    return receive('postback', params.merchant, body || query, request.headers, set)
  }

  return new Elysia({ name: 'webhooks' })
    .post(
      '/api/v1/events/conversion',
      async ({ request, set }) => {
        const merchant = request.headers.get('x-skinstack-merchant')
        // A registered device names its merchant itself; otherwise the merchant's S2S secret needs the slug.
        if (!merchant && !request.headers.has('x-skinstack-device'))
          throw new HttpError(
            400,
            'missing_merchant',
            'set the X-SkinStack-Merchant header to your merchant slug (or sign as a device: X-SkinStack-Device)',
          )
        return receive('s2s', merchant, await request.text(), request.headers, set)
      },
      {
        parse: 'none',
        response: { 200: WebhookAccepted, 202: WebhookAccepted },
        detail: {
          tags: ['webhooks'],
          summary: "Report a conversion from a brand's server (Standard Webhooks signature)",
          description:
            'Same as POST /webhooks/s2s/:merchant, with the merchant slug in X-SkinStack-Merchant. Sign ' +
            '`${webhook-id}.${webhook-timestamp}.${body}` with the s2s secret (webhook-signature: v1,<base64>). ' +
            'Body: { type: sale|refund|lead|subscription_renewal, order_id, occurred_at, currency, total, … }.',
        },
      },
    )
    .get('/postback/:merchant', postback, {
      parse: 'none',
      params: PostbackParams,
      response: { 200: WebhookAccepted, 202: WebhookAccepted },
      detail: { tags: ['webhooks'], summary: POSTBACK_SUMMARY, description: POSTBACK_DESCRIPTION },
    })
    .post('/postback/:merchant', postback, {
      parse: 'none',
      params: PostbackParams,
      response: { 200: WebhookAccepted, 202: WebhookAccepted },
      detail: { tags: ['webhooks'], summary: POSTBACK_SUMMARY, description: POSTBACK_DESCRIPTION },
    })
    .post(
      '/webhooks/:source/:merchant',
      // Signatures cover the exact bytes: the body is read raw, never parsed by the framework first.
      async ({ params, request, set }) =>
        receive(params.source, params.merchant, await request.text(), request.headers, set),
      {
        parse: 'none',
        params: WebhookParams,
        detail: {
          tags: ['webhooks'],
          summary: 'Receive a signed webhook from a shop or network',
          description:
            '200 the first time an event is seen, 202 for a repeat (same conversion ids, no side effects); 401 on ' +
            'a bad or missing signature; 400 malformed; 422 missing fields; 404 unknown source or merchant; 503 ' +
            'with Retry-After when it could not be stored.',
        },
        response: { 200: WebhookAccepted, 202: WebhookAccepted },
      },
    )
}

const secretErrors = { ...adminErrors, 403: ApiError }
const secretDetail = (summary: string) => ({
  tags: ['webhooks'],
  security: [{ bearer: [] }],
  summary,
  description:
    "An admin key, or the merchant's own key for its own slug; any other merchant (and every merchant for an " +
    'influencer key) answers 404 unknown_merchant, like a slug that does not exist.',
})

/** Signing secrets per merchant and source, managed by the merchant itself or the operator. Never listed. */
export const webhookSecretsPlugin = (d: {
  store: Store
  config: Config
  intake: WebhookIntake
  authenticate: Authenticator
}) =>
  new Elysia({ name: 'webhook-secrets', prefix: '/api/v1/merchants/:merchant/webhook-secrets' })
    .use(principalAuth(d.authenticate))
    .get('/', ({ principal, params }) => listSecrets(d.store, params.merchant, principal), {
      params: SecretParams,
      response: { 200: t.Array(SecretView), ...secretErrors },
      ...needs('webhooks:read', secretDetail('List webhook secrets (without the secrets)')),
    })
    .post(
      '/',
      async ({ principal, params, body, set }) => {
        const created = await createSecret(
          d.store,
          d.config.secrets.masterKey,
          params.merchant,
          body,
          principal,
        )
        d.intake.forgetSecrets()
        set.status = 201
        return created
      },
      {
        params: SecretParams,
        body: SecretInput,
        response: { 201: SecretView, ...secretErrors },
        ...needs(
          'webhooks:write',
          secretDetail('Add a webhook signing secret (two may be active for rotation; 409 beyond that)'),
        ),
      },
    )
    .post(
      '/:keyId/deactivate',
      async ({ principal, params }) => {
        const retired = await deactivateSecret(d.store, params.merchant, params.keyId, principal)
        d.intake.forgetSecrets()
        return retired
      },
      {
        params: SecretKeyParams,
        response: { 200: SecretView, ...secretErrors },
        ...needs('webhooks:write', secretDetail('Stop accepting a secret')),
      },
    )
