import { and, eq, inArray, sql } from 'drizzle-orm'
import { type AuditActor, recordAudit } from '../audit/service.ts'
import { commissions, type Payout, payoutRuns, payouts } from '../db/schema/index.ts'
import { rawRows } from '../db/rows.ts'
import type { Db } from '../db/store.ts'
import type { Logger } from '../shared/logger.ts'
import { owedCommissions, type Payable, payables } from './eligibility.ts'
import type { PayoutProvider, PayoutRequest } from './providers/types.ts'
import { payoutFigures } from './figures.ts'
import { recordResult } from './record.ts'

export type PayoutMethod = 'stripe_connect' | 'paypal' | 'ach' | 'manual'

export interface PayoutDeps {
  readonly db: Db
  readonly log: Logger
  readonly providers: Partial<Record<PayoutMethod, PayoutProvider>>
  /** Processing fee the method charges on an amount (minor units, exact). */
  readonly fee: (method: PayoutMethod, amountMinor: bigint, currency: string) => bigint
  /**
   * The embedded database: one process by construction (its data-directory lock), and one session, which a
   * lock transaction held open during the run would deadlock. No run lock is taken then.
   */
  readonly singleProcess?: boolean
}

export interface RunReport {
  readonly runId: string
  readonly period: string
  readonly currency: string
  /** False when another process holds this run: it is left to finish there. */
  readonly ran: boolean
  readonly payouts: { id: string; influencerId: string; status: string; netMinor: string }[]
  /** Influencers owed less than their minimum: their balance rolls over. */
  readonly rolledOver: number
}

/**
 * A payout run for a period and currency (keyed by both: running it again is the same run). Only one process
 * runs it at a time (a transaction-scoped advisory lock held for the run). It first finishes payouts a crash
 * or a provider error left in flight (asking the provider, whose idempotency key makes a resend safe), then
 * pays everyone owed at least their minimum: one payout each, created with its commissions linked before
 * anything is sent.
 */
export async function runPayouts(
  deps: PayoutDeps,
  opts: { period: string; currency: string; influencerId?: string },
  /** Who started it (the API's admin), for the audit trail; none for the scheduler and the CLI. */
  by: AuditActor | null = null,
): Promise<RunReport> {
  const currency = opts.currency.toUpperCase()
  await deps.db.insert(payoutRuns).values({ period: opts.period, currency }).onConflictDoNothing()
  const [run] = await deps.db
    .select()
    .from(payoutRuns)
    .where(and(eq(payoutRuns.period, opts.period), eq(payoutRuns.currency, currency)))
  if (!run) throw new Error('payout run not stored')
  return withRunLock(deps, run.id, async (got) => {
    if (!got) return { runId: run.id, period: run.period, currency, ran: false, payouts: [], rolledOver: 0 }
    await deps.db
      .update(payoutRuns)
      .set({ status: 'running', startedAt: new Date() })
      .where(eq(payoutRuns.id, run.id))
    // Only the process that got the lock: a run refused as already running made no change to record.
    await recordAudit(deps.db, {
      actor: by?.principal ?? null,
      action: 'payout_run.started',
      targetType: 'payout_run',
      targetId: run.id,
      ip: by?.ip ?? null,
      details: {
        period: run.period,
        currency,
        influencerId: opts.influencerId ?? null,
        by: by ? 'api' : 'system',
      },
    })
    const out: Payout[] = []
    const inFlight = await deps.db
      .select()
      .from(payouts)
      .where(and(eq(payouts.runId, run.id), inArray(payouts.status, ['initiated', 'processing'])))
    for (const p of inFlight) out.push(await drive(deps, p))
    let rolledOver = 0
    for (const owed of await payables(deps.db, currency, opts.influencerId)) {
      if (owed.payableMinor <= 0n) continue
      if (owed.payableMinor < owed.minimumMinor) {
        rolledOver++
        continue
      }
      const p = await createPayout(deps, { id: run.id, period: run.period, currency }, owed)
      if (p) out.push(await drive(deps, p))
    }
    await deps.db
      .update(payoutRuns)
      .set({ status: 'completed', finishedAt: new Date() })
      .where(eq(payoutRuns.id, run.id))
    return {
      runId: run.id,
      period: run.period,
      currency,
      ran: true,
      payouts: out.map((p) => ({
        id: p.id,
        influencerId: p.influencerId,
        status: p.status,
        netMinor: p.netMinor.toString(),
      })),
      rolledOver,
    }
  })
}

/** Runs `fn` holding the run's advisory lock (transaction-scoped, so a crashed runner releases it). */
async function withRunLock<T>(deps: PayoutDeps, runId: string, fn: (got: boolean) => Promise<T>): Promise<T> {
  if (deps.singleProcess) return fn(true)
  return deps.db.transaction(async (lock) => {
    const [got] = await rawRows<{ ok: boolean }>(
      lock,
      sql`select pg_try_advisory_xact_lock(hashtext(${`payout-run:${runId}`})) as ok`,
    )
    return fn(got?.ok === true)
  })
}

/**
 * The payout row and its commissions' link, in one transaction, before any money moves. Null when the
 * influencer cannot be paid (no method or account, nothing left after fees) or already has this period's
 * payout.
 */
async function createPayout(
  deps: PayoutDeps,
  run: { id: string; period: string; currency: string },
  owed: Payable,
): Promise<Payout | null> {
  if (!owed.method || !owed.account) {
    deps.log.warn(
      { influencerId: owed.influencerId },
      'influencer owed a payout has no payout method or account',
    )
    return null
  }
  const method = owed.method
  return deps.db.transaction(async (tx) => {
    const items = await owedCommissions(tx, owed.influencerId, run.currency)
    const f = payoutFigures({
      payableMinor: owed.payableMinor,
      minimumMinor: owed.minimumMinor,
      commissions: items,
      processingFee: (amount) => deps.fee(method, amount, run.currency),
    })
    if (!f) return null
    const id = Bun.randomUUIDv7()
    const [p] = await tx
      .insert(payouts)
      .values({
        id,
        runId: run.id,
        influencerId: owed.influencerId,
        period: run.period,
        currency: run.currency,
        method,
        status: 'initiated',
        grossMinor: f.grossMinor,
        platformFeeMinor: f.platformFeeMinor,
        processingFeeMinor: f.processingFeeMinor,
        netMinor: f.netMinor,
        idempotencyKey: `skinstack-payout-${id}`,
        statement: {
          commissions: items.map((c) => ({
            id: c.id,
            conversionId: c.conversionId,
            kind: c.kind,
            grossMinor: c.grossMinor.toString(),
            feeMinor: c.feeMinor.toString(),
            netMinor: c.netMinor.toString(),
          })),
          carriedMinor: f.carriedMinor.toString(),
          payableMinor: owed.payableMinor.toString(),
        },
      })
      .onConflictDoNothing()
      .returning()
    if (!p) return null
    if (items.length > 0)
      await tx
        .update(commissions)
        .set({ payoutId: p.id })
        .where(
          inArray(
            commissions.id,
            items.map((c) => c.id),
          ),
        )
    return p
  })
}

/**
 * Sends (or, after a crash or an error, asks about) one payout and records the answer. The attempt is
 * counted before the request leaves, so a payout with attempts > 0 and no answer is asked about first.
 */
export async function drive(deps: PayoutDeps, p: Payout): Promise<Payout> {
  const provider = deps.providers[p.method]
  if (!provider)
    return recordResult(deps.db, p, {
      status: 'failed',
      reason: `no ${p.method} provider is configured`,
      retryable: true,
    })
  const req = await requestOf(deps.db, p)
  if (p.attempts > 0 || p.status === 'processing') {
    // Sent before (perhaps paid, unrecorded): ask first. Only "never saw it" (null) allows a resend; an answer
    // the provider could not give (a retryable failure) leaves it for the next run rather than risk a second
    // payment, since a send that then failed for good would not prove the first did not pay.
    const asked = await provider.status(req, p.providerRef)
    if (asked) return recordResult(deps.db, p, asked)
  }
  await deps.db
    .update(payouts)
    .set({ attempts: sql`${payouts.attempts} + 1`, sentAt: new Date() })
    .where(eq(payouts.id, p.id))
  const sent = await provider
    .send(req)
    .catch((err: unknown): Awaited<ReturnType<PayoutProvider['send']>> => ({
      status: 'failed',
      reason: err instanceof Error ? err.message : String(err),
      retryable: true,
    }))
  return recordResult(deps.db, { ...p, attempts: p.attempts + 1 }, sent)
}

async function requestOf(db: Db, p: Payout): Promise<PayoutRequest> {
  const [i] = await rawRows<{ account: string | null }>(
    db,
    sql`select payout_account as account from influencers where id = ${p.influencerId}`,
  )
  return {
    payoutId: p.id,
    idempotencyKey: p.idempotencyKey,
    influencerId: p.influencerId,
    account: i?.account ?? '',
    currency: p.currency,
    amountMinor: p.netMinor,
    description: `SkinStack payout ${p.period}`,
  }
}
