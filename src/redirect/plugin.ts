import { Elysia, t } from 'elysia'
import type { PeerInfo, Redirect } from './service.ts'

type BunRouteRequest = Request & { params: Record<string, string> }
type RouteHandler = (req: BunRouteRequest, server: PeerInfo) => Response | Promise<Response>

/**
 * The hot routes as Bun.serve `routes`: Bun matches them natively and calls the handler directly, outside
 * Elysia's hook chain (metrics hooks, error mapping), which the benchmark showed costs real throughput.
 */
export function redirectServeRoutes(r: Redirect): Record<string, { GET: RouteHandler; HEAD: RouteHandler }> {
  const slug: RouteHandler = (req, server) => r.bySlug(req, server, req.params.slug ?? '')
  const route: RouteHandler = (req, server) =>
    r.byRoute(req, server, {
      creator: req.params.creator ?? '',
      campaign: req.params.campaign ?? '',
      asset: req.params.asset,
    })
  return {
    '/l/:slug': { GET: slug, HEAD: slug },
    '/c/:creator/:campaign': { GET: route, HEAD: route },
    '/c/:creator/:campaign/:asset': { GET: route, HEAD: route },
  }
}

const token = t.String({ description: 'Letters, digits, _ and -; at most 64 characters' })
const detail = (summary: string) => ({
  tags: ['redirect'],
  summary,
  description:
    '302 to the destination with a signed click id appended and an attribution cookie set; 404 for an unknown ' +
    'or inactive link, 410 once expired (HTML for browsers, JSON otherwise); 503 if the link is not cached and ' +
    'the database is unreachable. HEAD answers the same without a body.',
})

/** The same routes inside Elysia: they document the API and serve app.handle() in tests. */
export const redirectPlugin = (r: Redirect) =>
  new Elysia({ name: 'redirect' })
    .get('/l/:slug', ({ request, server, params }) => r.bySlug(request, server ?? undefined, params.slug), {
      params: t.Object({ slug: token }),
      detail: detail('Follow a tracking link'),
    })
    .get(
      '/c/:creator/:campaign',
      ({ request, server, params }) => r.byRoute(request, server ?? undefined, params),
      {
        params: t.Object({ creator: token, campaign: token }),
        detail: detail('Follow a creator campaign link'),
      },
    )
    .get(
      '/c/:creator/:campaign/:asset',
      ({ request, server, params }) => r.byRoute(request, server ?? undefined, params),
      {
        params: t.Object({ creator: token, campaign: token, asset: token }),
        detail: detail('Follow a creator campaign link for one asset'),
      },
    )
