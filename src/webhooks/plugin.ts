import { Elysia } from 'elysia'
import type { Config } from '../config.ts'
import type { Store } from '../db/store.ts'
import { HttpError } from '../shared/errors.ts'
import type { Logger } from '../shared/logger.ts'
import { receiveWebhook } from './intake.ts'
import { WebhookAccepted, WebhookParams } from './model.ts'
import { ADAPTERS } from './registry.ts'

export const webhooksPlugin = (d: { store: Store; config: Config; log: Logger }) =>
  new Elysia({ name: 'webhooks', prefix: '/webhooks' }).post(
    '/:source/:merchant',
    async ({ params, request, set }) => {
      const adapter = ADAPTERS.get(params.source)
      if (!adapter) throw new HttpError(404, 'unknown_source', `no webhook source "${params.source}"`)
      // Signatures cover the exact bytes: the body is read raw, never parsed by the framework first.
      const rawBody = await request.text()
      try {
        const r = await receiveWebhook({
          store: d.store,
          config: d.config,
          adapter,
          merchantSlug: params.merchant,
          rawBody,
          headers: request.headers,
        })
        set.status = r.duplicate ? 202 : 200
        return {
          status: r.duplicate ? ('duplicate' as const) : ('processed' as const),
          eventId: r.eventId,
          conversionIds: r.conversionIds,
        }
      } catch (err) {
        if (err instanceof HttpError) {
          if (err.status === 401) d.log.warn({ source: params.source, reason: err.code }, 'webhook refused')
          throw err
        }
        // Nothing was committed (one transaction): the provider's retry will complete it.
        d.log.error({ err, source: params.source }, 'webhook not stored; asking the sender to retry')
        set.headers['retry-after'] = '30'
        throw new HttpError(503, 'unavailable', 'could not store the event; retry later')
      }
    },
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
