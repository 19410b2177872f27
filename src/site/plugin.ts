import { Elysia } from 'elysia'
import { needs } from '../auth/ownership.ts'
import { adminErrors, ApiError, principalAuth } from '../auth/plugin.ts'
import type { Authenticator } from '../auth/principal.ts'
import type { Store } from '../db/store.ts'
import {
  EventAccepted,
  EventParams,
  OriginsBody,
  OriginsParams,
  OriginsView,
  PolicyBody,
  PolicyParams,
  PolicyView,
} from './model.ts'
import { getSitePolicy, updateSitePolicy } from './policy.ts'
import { listOrigins, replaceOrigins, type Site } from './service.ts'

const errors = { ...adminErrors, 403: ApiError }
const settingsDetail = (summary: string) => ({
  tags: ['site'],
  security: [{ bearer: [] }],
  summary,
  description:
    "An admin key, or the merchant's own key for its own merchant and programs (others answer 404).",
})
const EVENT_DESCRIPTION =
  'Sent by /sk.js (sendBeacon or fetch keepalive; text/plain JSON, so no preflight). Body: merchant, session_id, ' +
  'click_id, url, referrer; a conversion adds order_id, revenue (decimal string), currency. 202 when accepted; 403 ' +
  'from an origin the merchant did not register; 400 malformed, 413 over 16 KiB, 422 naming bad fields; 503 when ' +
  'it cannot be kept. A conversion with a genuine click id joins the webhooks: one conversion per order.'

/** The snippet and its events (public, origin-checked), and the merchant/program settings behind them. */
export const sitePlugin = (d: { site: Site; store: Store; authenticate: Authenticator }) =>
  new Elysia({ name: 'site' })
    .get('/sk.js', ({ request }) => d.site.snippet.respond(request, false), {
      detail: { tags: ['site'], summary: 'The on-site snippet (cached for an hour)' },
    })
    .get(
      '/sk/:version/sk.js',
      ({ request, params, set }) => {
        if (params.version === d.site.snippet.version) return d.site.snippet.respond(request, true)
        // Only the current version is served; a pinned old one gets the current (not cached for long).
        set.status = 302
        set.headers.location = '/sk.js'
        set.headers['cache-control'] = 'public, max-age=300'
        return ''
      },
      { detail: { tags: ['site'], summary: 'The snippet pinned to a version (immutable)' } },
    )
    .options('/v1/events/:kind', async ({ request, set }) => {
      const origin = request.headers.get('origin')
      set.status = 204
      set.headers.vary = 'Origin'
      if (origin && (await d.site.origins.knownOrigin(origin))) {
        set.headers['access-control-allow-origin'] = origin
        set.headers['access-control-allow-methods'] = 'POST'
        set.headers['access-control-allow-headers'] = 'content-type'
        set.headers['access-control-max-age'] = '600'
      }
      return ''
    })
    .post(
      '/v1/events/:kind',
      async ({ params, request, set, server }) => {
        const out = await d.site.receive({
          kind: params.kind,
          rawBody: await request.text(),
          headers: request.headers,
          peer: server?.requestIP(request)?.address,
        })
        set.status = 202
        set.headers['access-control-allow-origin'] = out.origin
        set.headers.vary = 'Origin'
        return out.body
      },
      {
        parse: 'none',
        params: EventParams,
        response: { 202: EventAccepted },
        detail: { tags: ['site'], summary: 'Receive a snippet event', description: EVENT_DESCRIPTION },
      },
    )
    .use(
      new Elysia({ name: 'site-settings', prefix: '/api/v1' })
        .use(principalAuth(d.authenticate))
        .get(
          '/merchants/:merchant/site-origins',
          async ({ principal, params }) => ({
            origins: await listOrigins(d.store, params.merchant, principal),
          }),
          {
            params: OriginsParams,
            response: { 200: OriginsView, ...errors },
            ...needs(
              'webhooks:read',
              settingsDetail('Origins allowed to send snippet events for a merchant'),
            ),
          },
        )
        .put(
          '/merchants/:merchant/site-origins',
          async ({ principal, params, body }) => {
            const origins = await replaceOrigins(d.store, params.merchant, body.origins, principal)
            d.site.origins.forget()
            return { origins }
          },
          {
            params: OriginsParams,
            body: OriginsBody,
            response: { 200: OriginsView, ...errors },
            ...needs(
              'webhooks:write',
              settingsDetail(
                'Replace the origins allowed to send snippet events (other hosts follow within 30 s)',
              ),
            ),
          },
        )
        .get(
          '/programs/:program/site-policy',
          ({ principal, params }) => getSitePolicy(d.store, params.program, principal),
          {
            params: PolicyParams,
            response: { 200: PolicyView, ...errors },
            ...needs('stats:read', settingsDetail("A program's qualified-session bar and billing policy")),
          },
        )
        .patch(
          '/programs/:program/site-policy',
          ({ principal, params, body }) => updateSitePolicy(d.store, params.program, body, principal),
          {
            params: PolicyParams,
            body: PolicyBody,
            response: { 200: PolicyView, ...errors },
            ...needs(
              'links:write',
              settingsDetail(
                "Change a program's qualified-session bar and billing policy (given fields only)",
              ),
            ),
          },
        ),
    )
