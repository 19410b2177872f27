import { get, link, post, type Route } from './route-kit.ts'

// Links, commissions and payouts: a merchant reaches its programs' rows, an influencer its own.

export const MONEY_ROUTES: Record<string, Route> = {
  'GET /api/v1/links/': {
    call: get((i) => `/api/v1/links/?influencerId=${i.influencerId}&programId=${i.programId}`),
    foreign: 200,
    scope: 'links:read',
    own: [{ as: 'merchant', status: 200, sees: 'linkId' }],
  },
  'GET /api/v1/links/:id': {
    call: get((i) => `/api/v1/links/${i.linkId}`),
    foreign: 404,
    scope: 'links:read',
    own: [
      { as: 'influencer', status: 200, sees: 'linkId' },
      { as: 'merchant', status: 200, sees: 'linkId' },
    ],
  },
  'POST /api/v1/links/': {
    call: post(() => '/api/v1/links/', link),
    foreign: 422,
    scope: 'links:write',
    own: [
      { as: 'influencer', status: 201 },
      { as: 'merchant', status: 201 },
    ],
  },
  'POST /api/v1/links/bulk': {
    call: post(
      () => '/api/v1/links/bulk',
      (i) => ({ items: [link(i), link(i)] }),
    ),
    foreign: 422,
    scope: 'links:write',
    own: [{ as: 'merchant', status: 201 }],
  },
  'PATCH /api/v1/links/:id': {
    call: (i) => ({ method: 'PATCH', path: `/api/v1/links/${i.linkId}`, body: { expiresAt: null } }),
    foreign: 404,
    scope: 'links:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/links/:id/deactivate': {
    call: post((i) => `/api/v1/links/${i.linkId}/deactivate`),
    foreign: 404,
    scope: 'links:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'DELETE /api/v1/links/:id': {
    call: (i) => ({ method: 'DELETE', path: `/api/v1/links/${i.linkId}` }),
    foreign: 404,
    scope: 'links:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/links/:id/activate': {
    call: post((i) => `/api/v1/links/${i.linkId}/activate`),
    foreign: 404,
    scope: 'links:write',
    own: [{ as: 'influencer', status: 200 }],
  },
  'GET /api/v1/commissions': {
    call: get((i) => `/api/v1/commissions?influencerId=${i.influencerId}&programId=${i.programId}`),
    foreign: 200,
    scope: 'commissions:read',
    own: [
      { as: 'merchant', status: 200, sees: 'commissionId' },
      { as: 'influencer', status: 200, sees: 'commissionId' },
    ],
  },
  'GET /api/v1/commissions/:id': {
    call: get((i) => `/api/v1/commissions/${i.commissionId}`),
    foreign: 404,
    scope: 'commissions:read',
    own: [{ as: 'influencer', status: 200, sees: 'commissionId' }],
  },
  'GET /api/v1/commissions/:id/explain': {
    call: get((i) => `/api/v1/commissions/${i.commissionId}/explain`),
    foreign: 404,
    scope: 'commissions:read',
    own: [{ as: 'merchant', status: 200, sees: 'commissionId' }],
  },
  'POST /api/v1/commissions/:id/approve': {
    call: post((i) => `/api/v1/commissions/${i.commissionId}/approve`),
    foreign: 404,
    scope: 'commissions:write',
    own: [
      { as: 'influencer', status: 403 },
      { as: 'merchant', status: 200 },
    ],
  },
  'POST /api/v1/commissions/:id/reverse': {
    call: post(
      (i) => `/api/v1/commissions/${i.commissionId}/reverse`,
      () => ({ reason: 'idor test' }),
    ),
    foreign: 404,
    scope: 'commissions:write',
    own: [
      { as: 'influencer', status: 403 },
      { as: 'merchant', status: 200 },
    ],
  },
  'GET /api/v1/balances': {
    call: get((i) => `/api/v1/balances?influencerId=${i.influencerId}`),
    foreign: 404,
    scope: 'commissions:read',
    own: [
      { as: 'influencer', status: 200 },
      { as: 'merchant', status: 404 },
    ],
  },
  'GET /api/v1/payouts/:id': {
    call: get((i) => `/api/v1/payouts/${i.payoutId}`),
    foreign: 404,
    scope: 'payouts:read',
    own: [
      { as: 'influencer', status: 200, sees: 'payoutId' },
      { as: 'merchant', status: 404 },
    ],
  },
  'GET /api/v1/payouts/:id/statement': {
    call: get((i) => `/api/v1/payouts/${i.payoutId}/statement`),
    foreign: 404,
    scope: 'payouts:read',
    own: [{ as: 'influencer', status: 200, sees: 'payoutId' }],
  },
  'POST /api/v1/payouts/:id/mark-paid': {
    call: post(
      (i) => `/api/v1/payouts/${i.payoutId}/mark-paid`,
      () => ({ reference: 'IDOR-1' }),
    ),
    foreign: 404,
    scope: 'payouts:write',
    own: [
      { as: 'influencer', status: 403 },
      { as: 'admin', status: 200 },
    ],
  },
  'POST /api/v1/payouts/requests': {
    call: post(
      () => '/api/v1/payouts/requests',
      (i) => ({ influencerId: i.influencerId, currency: 'USD' }),
    ),
    foreign: 404,
    scope: 'payouts:write',
    own: [
      { as: 'merchant', status: 404 },
      { as: 'influencer', status: 200 },
    ],
  },
  'POST /api/v1/payouts/runs': {
    call: post(
      () => '/api/v1/payouts/runs',
      () => ({ period: 'idor-2', currency: 'USD' }),
    ),
    foreign: 403,
    scope: 'payouts:write',
    own: [
      { as: 'merchant', status: 403 },
      { as: 'admin', status: 200 },
    ],
  },
}
