import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import cssPath from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' }
// Embedded so /swagger works with no internet; `type: 'file'` puts them inside the compiled binary.
import bundlePath from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' }
import { VERSION } from '../version.ts'

const ASSETS = '/swagger/assets'

const asset = (path: string, type: string) => () =>
  new Response(Bun.file(path), {
    headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
  })

export const docsPlugin = () =>
  new Elysia({ name: 'docs' })
    .use(
      openapi({
        path: '/swagger',
        specPath: '/swagger/json',
        provider: 'swagger-ui',
        swagger: { theme: `${ASSETS}/swagger-ui.css`, cdn: `${ASSETS}/swagger-ui-bundle.js` },
        documentation: {
          info: {
            title: 'SkinStack API',
            version: VERSION,
            description:
              'Self-hosted affiliate tracking: links, redirects, conversions, commissions, payouts.',
          },
          components: {
            securitySchemes: {
              bearer: {
                type: 'http',
                scheme: 'bearer',
                description: "ADMIN_API_KEY, or a user's sk_live_ API key",
              },
            },
          },
          tags: [
            { name: 'ops', description: 'Health, readiness and metrics' },
            { name: 'redirect', description: 'Shopper-facing tracking links' },
            {
              name: 'webhooks',
              description: 'Signed sales and refunds from shops and networks, stored exactly once',
            },
            { name: 'links', description: 'Create and manage tracking links (Bearer ADMIN_API_KEY)' },
            {
              name: 'accounts',
              description: 'Users acting for a merchant or influencer, and their API keys',
            },
            {
              name: 'stats',
              description: 'Clicks, conversions, revenue and commissions from hourly rollups',
            },
            {
              name: 'webhook endpoints',
              description:
                'Outbound webhooks: subscribe HTTPS endpoints to events; signed, retried for 24 h, logged',
            },
            { name: 'realtime', description: 'The /ws live feed' },
            { name: 'dashboard', description: 'The dashboard page' },
          ],
        },
        exclude: { paths: [`${ASSETS}/swagger-ui.css`, `${ASSETS}/swagger-ui-bundle.js`] },
      }),
    )
    .get(`${ASSETS}/swagger-ui.css`, asset(cssPath, 'text/css; charset=utf-8'), { detail: { hide: true } })
    .get(`${ASSETS}/swagger-ui-bundle.js`, asset(bundlePath, 'text/javascript; charset=utf-8'), {
      detail: { hide: true },
    })
