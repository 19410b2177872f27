// The providers the configuration enables, by payout method. A method missing here (Stripe without a key,
// PayPal without credentials) cannot be paid; the run leaves those payouts to be retried once it is
// configured. ACH goes out as a bank file from the manual statement, so it is paid the manual way.
import type { Config } from '../../config.ts'
import { feeCalculator } from './fees.ts'
import { createManualProvider, type ManualOptions } from './manual.ts'
import { createPaypalProvider } from './paypal.ts'
import { createStripeProvider } from './stripe.ts'
import type { PayoutProvider } from './types.ts'

export type ProviderMap = Partial<Record<PayoutProvider['method'] | 'ach', PayoutProvider>>

export function createProviders(
  config: Pick<Config, 'payoutProviders'>,
  manual: ManualOptions = {},
): ProviderMap {
  const { stripe, paypal, timeoutMs } = config.payoutProviders
  const byHand = createManualProvider(manual)
  const out: ProviderMap = { manual: byHand, ach: byHand }
  if (stripe.secretKey)
    out.stripe_connect = createStripeProvider({
      apiBase: stripe.apiBase,
      secretKey: stripe.secretKey,
      timeoutMs,
    })
  if (paypal.clientId && paypal.clientSecret)
    out.paypal = createPaypalProvider({
      apiBase: paypal.apiBase,
      clientId: paypal.clientId,
      clientSecret: paypal.clientSecret,
      timeoutMs,
    })
  return out
}

/** The configured processing-fee function a payout run takes (`PayoutDeps.fee`). */
export function createFeeCalculator(config: Pick<Config, 'payoutProviders'>) {
  return feeCalculator(config.payoutProviders.fees)
}
