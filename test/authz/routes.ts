import { ACCOUNT_ROUTES } from './routes-accounts.ts'
import { MERCHANT_ROUTES } from './routes-merchant.ts'
import { MONEY_ROUTES } from './routes-money.ts'

export type { As, Route } from './route-kit.ts'

/**
 * Every /api route, keyed "METHOD path" exactly as app.routes names it; a route missing here fails idor.test.ts.
 * Own-tenant calls run in this order, so rows whose writes destroy what others use come after them.
 */
export const ROUTES = { ...MONEY_ROUTES, ...MERCHANT_ROUTES, ...ACCOUNT_ROUTES }
