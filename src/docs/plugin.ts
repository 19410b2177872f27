import { createHash } from 'node:crypto'
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

const PAGE = '/swagger'

/**
 * Headers for the Swagger UI page: it may load only its own embedded assets, run only its own inline bootstrap
 * script (allowed by hash, taken from the page as rendered, so a plugin upgrade cannot silently break or widen
 * it), fetch only the spec, and never be framed. Swagger UI styles its widgets inline, hence 'unsafe-inline'
 * for styles (scripts stay strict); its icons are data: URIs.
 */
async function pageHeaders(render: () => Promise<Response>): Promise<Record<string, string>> {
  const html = await (await render()).text()
  const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (m) =>
      `'sha256-${createHash('sha256')
        .update(m[1] ?? '')
        .digest('base64')}'`,
  )
  return {
    'content-security-policy': [
      "default-src 'self'",
      `script-src 'self' ${inline.join(' ')}`.trim(),
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  }
}

export const docsPlugin = () => {
  const options: Parameters<typeof openapi>[0] = {
    path: PAGE,
    specPath: '/swagger/json',
    provider: 'swagger-ui',
    swagger: { theme: `${ASSETS}/swagger-ui.css`, cdn: `${ASSETS}/swagger-ui-bundle.js` },
    documentation: {
      info: {
        title: 'SkinStack API',
        version: VERSION,
        description: 'Self-hosted affiliate tracking: links, redirects, conversions, commissions, payouts.',
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
  }
  let headers: Promise<Record<string, string>> | undefined
  return new Elysia({ name: 'docs' })
    .onAfterHandle(async ({ request, set }) => {
      if (new URL(request.url).pathname !== PAGE) return
      // The page is static: rendered once by a second, bare instance of the plugin, for its inline script's hash
      // (mounting the real one twice would re-point its spec at the wrong app).
      headers ??= pageHeaders(async () =>
        new Elysia().use(openapi(options)).handle(new Request(`http://localhost${PAGE}`)),
      )
      Object.assign(set.headers, await headers)
    })
    .use(openapi(options))
    .get(`${ASSETS}/swagger-ui.css`, asset(cssPath, 'text/css; charset=utf-8'), { detail: { hide: true } })
    .get(`${ASSETS}/swagger-ui-bundle.js`, asset(bundlePath, 'text/javascript; charset=utf-8'), {
      detail: { hide: true },
    })
}
