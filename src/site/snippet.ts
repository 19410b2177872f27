import source from './assets/sk.js' with { type: 'text' }

// /sk.js is cached by shoppers' browsers and CDNs for an hour, so a release reaches every page within one; the
// content-addressed /sk.<version>.js never changes and is cached for a year (for sites that pin a version).

export interface Snippet {
  readonly version: string
  readonly body: string
  respond(request: Request, pinned: boolean): Response
}

/** The snippet as this installation serves it: its click id parameter baked in, versioned by content. */
export function createSnippet(clickIdParam: string): Snippet {
  const filled = source.replace('__SK_PARAM__', clickIdParam)
  const version = new Bun.CryptoHasher('sha256').update(filled).digest('hex').slice(0, 12)
  const body = filled.replace('__SK_VERSION__', version)
  const etag = `"${version}"`
  const common = {
    'content-type': 'text/javascript; charset=utf-8',
    etag,
    'x-content-type-options': 'nosniff',
    // A public script: any page may load it (and check it with SRI, which needs CORS).
    'access-control-allow-origin': '*',
  }
  return {
    version,
    body,
    respond(request, pinned) {
      const headers = {
        ...common,
        'cache-control': pinned
          ? 'public, max-age=31536000, immutable'
          : 'public, max-age=3600, stale-while-revalidate=86400',
      }
      if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
      return new Response(body, { headers })
    },
  }
}
