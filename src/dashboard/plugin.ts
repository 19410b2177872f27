import { Elysia } from 'elysia'
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'file' }
import uplotJs from 'uplot/dist/uPlot.iife.min.js' with { type: 'file' }
import appCss from './assets/app.css' with { type: 'file' }
import appJs from './assets/app.js' with { type: 'file' }
import indexPage from './assets/index.html' with { type: 'text' }

// Everything the page needs is inside the binary (`type: 'file'` embeds it), so it works offline and behind
// firewalls. The API key lives in the tab's sessionStorage and travels only to this origin.

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

// bun-types call every .html import an HTMLBundle; with `type: 'text'` it is the page's text.
const html = indexPage as unknown as string

const serve = (path: string, type: string, cache: string) => () =>
  new Response(Bun.file(path), {
    headers: { 'content-type': type, 'cache-control': cache, ...SECURITY_HEADERS },
  })

const hidden = { detail: { hide: true } }
// Assets are re-validated each load: they change with every release and are small.
const ASSET_CACHE = 'no-cache'

export const dashboardPlugin = () =>
  new Elysia({ name: 'dashboard' })
    .get(
      '/dashboard',
      () =>
        new Response(html, {
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            ...SECURITY_HEADERS,
          },
        }),
      {
        detail: { tags: ['dashboard'], summary: 'The live dashboard page (sign in with an API key)' },
      },
    )
    .get('/dashboard/assets/app.js', serve(appJs, 'text/javascript; charset=utf-8', ASSET_CACHE), hidden)
    .get('/dashboard/assets/app.css', serve(appCss, 'text/css; charset=utf-8', ASSET_CACHE), hidden)
    .get('/dashboard/assets/uplot.js', serve(uplotJs, 'text/javascript; charset=utf-8', ASSET_CACHE), hidden)
    .get('/dashboard/assets/uplot.css', serve(uplotCss, 'text/css; charset=utf-8', ASSET_CACHE), hidden)
