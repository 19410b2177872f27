import { get, post, type Route, statsRoute } from './route-kit.ts'
import { MAPPING } from './tenants.ts'

// Merchant settings (webhook secrets, import mappings, outbound endpoints), the signed intake and stats.

export const MERCHANT_ROUTES: Record<string, Route> = {
  'GET /api/v1/merchants/:merchant/webhook-secrets/': {
    call: get((i) => `/api/v1/merchants/${i.merchantSlug}/webhook-secrets/`),
    foreign: 404,
    scope: 'webhooks:read',
    own: [{ as: 'merchant', status: 200, sees: 'secretKeyId' }],
  },
  'POST /api/v1/merchants/:merchant/webhook-secrets/': {
    call: post(
      (i) => `/api/v1/merchants/${i.merchantSlug}/webhook-secrets/`,
      () => ({ source: 'shopify', secret: 'shpss_idor_second_0123456789abcdef' }),
    ),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 201 }],
  },
  'POST /api/v1/merchants/:merchant/webhook-secrets/:keyId/deactivate': {
    call: post((i) => `/api/v1/merchants/${i.merchantSlug}/webhook-secrets/${i.secretKeyId}/deactivate`),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'PUT /api/v1/imports/mappings/:merchant/:network': {
    call: (i) => ({ method: 'PUT', path: `/api/v1/imports/mappings/${i.merchantSlug}/idor`, body: MAPPING }),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'GET /api/v1/imports/mappings/:merchant/:network': {
    call: get((i) => `/api/v1/imports/mappings/${i.merchantSlug}/idor`),
    foreign: 404,
    scope: 'webhooks:read',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/imports/conversions': {
    call: (i) => ({
      method: 'POST',
      path: `/api/v1/imports/conversions?merchant=${i.merchantSlug}&network=idor`,
      raw: { type: 'text/csv', text: 'order,date,total,sub\nIDOR-CSV-1,2026-03-01 10:00:00,10.00,ava\n' },
    }),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/events/conversion': {
    // The signed intake: a key is not a signature, whoever's it is.
    call: (i) => ({
      method: 'POST',
      path: '/api/v1/events/conversion',
      headers: { 'x-skinstack-merchant': i.merchantSlug },
      body: {
        type: 'sale',
        order_id: 'idor-unsigned',
        occurred_at: '2026-03-01T00:00:00Z',
        currency: 'USD',
        total: '1',
      },
    }),
    foreign: 401,
    scope: null,
    own: [],
    public: true,
  },
  'GET /api/v1/stats/summary': statsRoute('summary'),
  'GET /api/v1/stats/timeseries': statsRoute('timeseries'),
  'GET /api/v1/stats/breakdown': statsRoute('breakdown?dim=device&'),
  'GET /api/v1/stats/top-links': statsRoute('top-links'),
  'GET /api/v1/stats/top-products': statsRoute('top-products'),
  'GET /api/v1/stats/site': statsRoute('site'),
  'GET /api/v1/merchants/:merchant/site-origins': {
    call: get((i) => `/api/v1/merchants/${i.merchantSlug}/site-origins`),
    foreign: 404,
    scope: 'webhooks:read',
    own: [{ as: 'merchant', status: 200 }],
  },
  'PUT /api/v1/merchants/:merchant/site-origins': {
    call: (i) => ({
      method: 'PUT',
      path: `/api/v1/merchants/${i.merchantSlug}/site-origins`,
      body: { origins: ['https://idor.example'] },
    }),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'GET /api/v1/programs/:program/site-policy': {
    call: get((i) => `/api/v1/programs/${i.programId}/site-policy`),
    foreign: 404,
    scope: 'stats:read',
    own: [{ as: 'merchant', status: 200, sees: 'programId' }],
  },
  'PATCH /api/v1/programs/:program/site-policy': {
    call: (i) => ({
      method: 'PATCH',
      path: `/api/v1/programs/${i.programId}/site-policy`,
      body: { min_pageviews: 3 },
    }),
    foreign: 404,
    scope: 'links:write',
    own: [{ as: 'merchant', status: 200, sees: 'programId' }],
  },
  'POST /api/v1/webhook-endpoints': {
    call: post(
      () => '/api/v1/webhook-endpoints',
      (i) => ({ url: 'https://hooks.example/b', events: ['conversion.created'], merchantId: i.merchantId }),
    ),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 201 }],
  },
  'GET /api/v1/webhook-endpoints': {
    call: get(() => '/api/v1/webhook-endpoints'),
    foreign: 200,
    scope: 'webhooks:read',
    own: [{ as: 'merchant', status: 200, sees: 'endpointId' }],
  },
  'GET /api/v1/webhook-endpoints/:id': {
    call: get((i) => `/api/v1/webhook-endpoints/${i.endpointId}`),
    foreign: 404,
    scope: 'webhooks:read',
    own: [{ as: 'merchant', status: 200, sees: 'endpointId' }],
  },
  'PATCH /api/v1/webhook-endpoints/:id': {
    call: (i) => ({
      method: 'PATCH',
      path: `/api/v1/webhook-endpoints/${i.endpointId}`,
      body: { description: 'x' },
    }),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/webhook-endpoints/:id/rotate-secret': {
    call: post((i) => `/api/v1/webhook-endpoints/${i.endpointId}/rotate-secret`),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'GET /api/v1/webhook-endpoints/:id/deliveries': {
    call: get((i) => `/api/v1/webhook-endpoints/${i.endpointId}/deliveries`),
    foreign: 404,
    scope: 'webhooks:read',
    own: [{ as: 'merchant', status: 200, sees: 'deliveryId' }],
  },
  'POST /api/v1/webhook-deliveries/:id/redeliver': {
    call: post((i) => `/api/v1/webhook-deliveries/${i.deliveryId}/redeliver`),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 202 }],
  },
  'DELETE /api/v1/webhook-endpoints/:id': {
    call: (i) => ({ method: 'DELETE', path: `/api/v1/webhook-endpoints/${i.endpointId}` }),
    foreign: 404,
    scope: 'webhooks:write',
    own: [{ as: 'merchant', status: 204 }],
  },
}
