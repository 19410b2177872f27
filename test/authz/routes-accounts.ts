import { get, post, type Route, uniq } from './route-kit.ts'

// Accounts, sessions, devices and fraud review.

export const ACCOUNT_ROUTES: Record<string, Route> = {
  // Accounts act across tenants: every non-admin key gets 403 whatever the id, so no id is confirmed.
  'POST /api/v1/users': {
    call: post(
      () => '/api/v1/users',
      (i) => ({ email: `idor-${uniq()}@keys.test`, role: 'merchant', merchantId: i.merchantId }),
    ),
    foreign: 403,
    scope: 'accounts:write',
    own: [
      { as: 'merchant', status: 403 },
      { as: 'admin', status: 201 },
    ],
  },
  'POST /api/v1/users/:id/api-keys': {
    call: post(
      (i) => `/api/v1/users/${i.userId}/api-keys`,
      () => ({ name: 'idor' }),
    ),
    foreign: 403,
    scope: 'accounts:write',
    own: [{ as: 'admin', status: 201 }],
  },
  'DELETE /api/v1/api-keys/:id': {
    call: (i) => ({ method: 'DELETE', path: `/api/v1/api-keys/${i.keyId}` }),
    foreign: 403,
    scope: 'accounts:write',
    own: [{ as: 'admin', status: 204 }],
  },
  // Devices belong to merchants (influencer keys: 403 whatever the id).
  'POST /api/v1/devices/': {
    call: post(
      () => '/api/v1/devices/',
      (i) => ({ name: `idor-${uniq()}`, merchantId: i.merchantId }),
    ),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'devices:write',
    own: [{ as: 'merchant', status: 201 }],
  },
  'GET /api/v1/devices/': {
    call: get((i) => `/api/v1/devices/?merchantId=${i.merchantId}`),
    foreign: { merchant: 200, influencer: 403 },
    scope: 'devices:read',
    own: [{ as: 'merchant', status: 200, sees: 'deviceId' }],
  },
  'PATCH /api/v1/devices/:id': {
    call: (i) => ({
      method: 'PATCH',
      path: `/api/v1/devices/${i.deviceId}`,
      body: { name: `idor-${uniq()}` },
    }),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'devices:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/devices/:id/rotate': {
    call: post((i) => `/api/v1/devices/${i.deviceId}/rotate`),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'devices:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/devices/:id/revoke': {
    call: post((i) => `/api/v1/devices/${i.deviceId}/revoke`),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'devices:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  // Fraud flags are reviewed by merchants (their programs') and the operator; influencer keys: 403 whatever the id.
  'GET /api/v1/fraud/flags': {
    call: get((i) => `/api/v1/fraud/flags?influencerId=${i.influencerId}`),
    foreign: { merchant: 200, influencer: 403 },
    scope: 'commissions:read',
    own: [{ as: 'merchant', status: 200, sees: 'flagId' }],
  },
  'GET /api/v1/fraud/flags/:id': {
    call: get((i) => `/api/v1/fraud/flags/${i.flagId}`),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'commissions:read',
    own: [{ as: 'merchant', status: 200, sees: 'flagId' }],
  },
  'POST /api/v1/fraud/flags/:id/clear': {
    call: post(
      (i) => `/api/v1/fraud/flags/${i.flagId}/clear`,
      () => ({ note: 'idor test' }),
    ),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'commissions:write',
    own: [{ as: 'merchant', status: 200 }],
  },
  'POST /api/v1/fraud/flags/:id/reject': {
    // Reached after the clear above: the flag is found (ownership passed), then 409 already resolved.
    call: post(
      (i) => `/api/v1/fraud/flags/${i.flagId}/reject`,
      () => ({ note: 'idor test' }),
    ),
    foreign: { merchant: 404, influencer: 403 },
    scope: 'commissions:write',
    own: [{ as: 'merchant', status: 409 }],
  },
  // Sessions: credentials travel in the body, so a key unlocks nothing; a password is set by an admin or the user
  // itself from a session (403 for any key of another kind, whatever the id).
  'POST /api/v1/auth/login': {
    call: post(
      () => '/api/v1/auth/login',
      () => ({ email: 'nobody@keys.test', password: 'not-the-password-at-all' }),
    ),
    foreign: 401,
    scope: null,
    own: [],
    public: true,
  },
  'POST /api/v1/auth/refresh': {
    call: post(
      () => '/api/v1/auth/refresh',
      () => ({ refreshToken: 'not-a-refresh-token' }),
    ),
    foreign: 401,
    scope: null,
    own: [],
    public: true,
  },
  'POST /api/v1/auth/logout': {
    call: post(
      () => '/api/v1/auth/logout',
      () => ({ refreshToken: 'not-a-refresh-token' }),
    ),
    foreign: 401,
    scope: null,
    own: [],
    public: true,
  },
  'POST /api/v1/users/:id/password': {
    call: post(
      (i) => `/api/v1/users/${i.userId}/password`,
      () => ({ password: 'correct horse battery staple' }),
    ),
    foreign: 403,
    scope: 'accounts:write',
    own: [{ as: 'admin', status: 204 }],
  },
}
