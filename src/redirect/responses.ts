// The shopper-facing answers besides the 302. Nothing from the request is echoed back.

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;color:#333}</style></head><body><h1>${title}</h1><p>${text}</p></body></html>`

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
    headers.set('x-content-type-options', 'nosniff')
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
