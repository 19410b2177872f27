import { createHash } from 'node:crypto'

// The shopper-facing answers besides the 302. Nothing from the request is echoed back.

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#333}'

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${STYLE}</style></head><body><h1>${title}</h1><p>${text}</p></body></html>`

// The pages load nothing and run nothing: only their own inline style (by hash) may apply, nobody may frame them,
// and the shopper's next page does not learn the tracking link from the Referer.
const HTML_HEADERS: Record<string, string> = {
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
}

const NOT_FOUND_HTML = PAGE('Link not found', 'This link does not exist or is no longer active.')
const GONE_HTML = PAGE('Link expired', 'This link has expired.')
const UNAVAILABLE_HTML = PAGE(
  'Try again shortly',
  'We could not open this link just now. Please try again in a moment.',
)

const wantsHtml = (req: Request) => (req.headers.get('accept') ?? '').includes('text/html')

function answer(
  req: Request,
  status: number,
  html: string,
  code: string,
  message: string,
  extra?: Record<string, string>,
) {
  const headers = new Headers(extra)
  headers.set('cache-control', 'no-store')
  if (wantsHtml(req)) {
    headers.set('content-type', 'text/html; charset=utf-8')
    for (const [k, v] of Object.entries(HTML_HEADERS)) headers.set(k, v)
    return new Response(req.method === 'HEAD' ? null : html, { status, headers })
  }
  headers.set('content-type', 'application/json')
  return new Response(req.method === 'HEAD' ? null : JSON.stringify({ error: { code, message } }), {
    status,
    headers,
  })
}

export const linkNotFound = (req: Request) =>
  answer(req, 404, NOT_FOUND_HTML, 'link_not_found', 'no active tracking link at this address')

export const linkGone = (req: Request) =>
  answer(req, 410, GONE_HTML, 'link_expired', 'this tracking link has expired')

export const linkUnavailable = (req: Request) =>
  answer(req, 503, UNAVAILABLE_HTML, 'unavailable', 'the link database is unreachable; retry shortly', {
    'retry-after': '5',
  })
