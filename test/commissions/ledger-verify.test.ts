import { beforeEach, describe, expect, test } from 'bun:test'
import { sql } from 'drizzle-orm'
import { runLedgerVerify } from '../../src/cli/ledger.ts'
import { postAccrual, postReversal } from '../../src/commissions/ledger.ts'
import { type LedgerVerification, verifyLedger } from '../../src/commissions/ledger-verify.ts'
import {
  attributions,
  commissions,
  conversions,
  influencers,
  ledgerEntries,
  merchants,
  organisations,
  payouts,
  programs,
  reversals,
} from '../../src/db/schema/index.ts'
import type { Db } from '../../src/db/store.ts'
import { testConfig, testSecretsEnv } from '../helpers/app.ts'
import { runSource } from '../helpers/binary.ts'
import { createTestDb } from '../helpers/databases.ts'

const { store, url } = await createTestDb()
const db = store.db

const CUR = 'EUR'
const at = new Date('2025-06-01T12:00:00Z')
const later = new Date('2025-07-15T12:00:00Z')

/** The names of the checks that found something. */
const failing = (r: LedgerVerification) => r.checks.filter((c) => c.violations > 0).map((c) => c.name)
const check = (r: LedgerVerification, name: string) => {
  const c = r.checks.find((x) => x.name === name)
  if (!c) throw new Error(`no check ${name}`)
  return c
}

let orders = 0

interface World {
  merchantId: string
  programId: string
  ava: string
  ben: string
  cy: string
  /** ava's commission on a single-click sale, pending, partly reversed before payout. */
  a: { id: string; conversionId: string }
  /** ben's third of a linear three-way sale, paid, then partly clawed back. */
  b: { id: string; conversionId: string; payoutId: string }
}

async function conversion(merchantId: string, programId: string): Promise<string> {
  const [row] = await db
    .insert(conversions)
    .values({
      merchantId,
      programId,
      source: 's2s',
      externalOrderId: `order-${++orders}`,
      kind: 'sale',
      occurredAt: at,
      currency: CUR,
      total: '100.00',
    })
    .returning({ id: conversions.id })
  if (!row) throw new Error('conversion not created')
  return row.id
}

async function attribution(
  w: Pick<World, 'programId'>,
  conversionId: string,
  influencerId: string,
  weight: [bigint, bigint] = [1n, 1n],
): Promise<string> {
  const [row] = await db
    .insert(attributions)
    .values({
      conversionId,
      influencerId,
      programId: w.programId,
      model: 'linear',
      evidence: 'click_id',
      windowDays: 7,
      weightNum: weight[0],
      weightDen: weight[1],
    })
    .returning({ id: attributions.id })
  if (!row) throw new Error('attribution not created')
  return row.id
}

interface CommissionInput {
  conversionId: string
  attributionId: string
  influencerId: string
  gross: bigint
  fee: bigint
  net: bigint
  status?: 'pending' | 'approved' | 'paid' | 'reversed'
  payoutId?: string
}

async function commission(tx: Db, w: Pick<World, 'programId'>, c: CommissionInput): Promise<string> {
  const settled = c.status === 'approved' || c.status === 'paid'
  const [row] = await tx
    .insert(commissions)
    .values({
      conversionId: c.conversionId,
      attributionId: c.attributionId,
      influencerId: c.influencerId,
      programId: w.programId,
      eventKind: 'sale',
      currency: CUR,
      baseMinor: c.gross * 10n,
      rate: '0.100000',
      grossMinor: c.gross,
      feeMinor: c.fee,
      netMinor: c.net,
      status: c.status ?? 'pending',
      holdUntil: later,
      approvedAt: settled ? later : null,
      paidAt: c.status === 'paid' ? later : null,
      payoutId: c.payoutId ?? null,
      calculationDetails: {},
    })
    .returning({ id: commissions.id })
  if (!row) throw new Error('commission not created')
  return row.id
}

const posting = (w: World, commissionId: string, influencerId: string) => ({
  commissionId,
  influencerId,
  merchantId: w.merchantId,
  currency: CUR,
  at,
})

async function accrue(tx: Db, w: World, id: string, influencerId: string, fee: bigint, net: bigint) {
  await postAccrual(tx, { ...posting(w, id, influencerId), feeMinor: fee, netMinor: net })
}

async function reverse(
  w: World,
  commissionId: string,
  influencerId: string,
  r: { gross: bigint; fee: bigint; net: bigint; afterPayout?: boolean; post?: { fee: bigint; net: bigint } },
): Promise<string> {
  const [row] = await db
    .insert(reversals)
    .values({
      commissionId,
      grossMinor: r.gross,
      feeMinor: r.fee,
      netMinor: r.net,
      currency: CUR,
      reason: 'refund',
    })
    .returning({ id: reversals.id })
  if (!row) throw new Error('reversal not created')
  await postReversal(db, {
    ...posting(w, commissionId, influencerId),
    reversalId: row.id,
    feeMinor: r.post?.fee ?? r.fee,
    netMinor: r.post?.net ?? r.net,
    afterPayout: r.afterPayout ?? false,
    memo: 'refund',
  })
  return row.id
}

/** A small consistent ledger: one pending commission partly reversed, one paid commission partly clawed back. */
async function seed(): Promise<World> {
  const [org] = await db.insert(organisations).values({ name: 'Org', slug: 'org' }).returning()
  if (!org) throw new Error('organisation not created')
  const [merchant] = await db
    .insert(merchants)
    .values({ orgId: org.id, name: 'Glow', slug: 'glow', defaultCurrency: CUR })
    .returning()
  const people = await db
    .insert(influencers)
    .values(
      ['ava', 'ben', 'cy'].map((handle) => ({ orgId: org.id, handle, displayName: handle, currency: CUR })),
    )
    .returning()
  if (!merchant) throw new Error('merchant not created')
  const [program] = await db
    .insert(programs)
    .values({
      merchantId: merchant.id,
      name: 'Creators',
      slug: 'creators',
      currency: CUR,
      commissionRate: '0.100000',
    })
    .returning()
  if (!program) throw new Error('program not created')
  const [ava, ben, cy] = people.map((p) => p.id) as [string, string, string]
  const base = { merchantId: merchant.id, programId: program.id, ava, ben, cy }

  const conv1 = await conversion(merchant.id, program.id)
  const attr1 = await attribution(base, conv1, ava)
  const a = await commission(db, base, {
    conversionId: conv1,
    attributionId: attr1,
    influencerId: ava,
    gross: 1000n,
    fee: 200n,
    net: 800n,
  })

  // Linear thirds: exact only if summed as fractions.
  const conv2 = await conversion(merchant.id, program.id)
  const thirds = []
  for (const who of [ava, ben, cy]) thirds.push(await attribution(base, conv2, who, [1n, 3n]))
  const [payout] = await db
    .insert(payouts)
    .values({
      influencerId: ben,
      period: '2025-07',
      currency: CUR,
      method: 'manual',
      status: 'paid',
      grossMinor: 267n,
      netMinor: 267n,
      idempotencyKey: 'payout-ben-2025-07',
    })
    .returning()
  if (!payout) throw new Error('payout not created')
  const b = await commission(db, base, {
    conversionId: conv2,
    attributionId: thirds[1] ?? '',
    influencerId: ben,
    gross: 333n,
    fee: 66n,
    net: 267n,
    status: 'paid',
    payoutId: payout.id,
  })

  const w: World = {
    ...base,
    a: { id: a, conversionId: conv1 },
    b: { id: b, conversionId: conv2, payoutId: payout.id },
  }
  await accrue(db, w, a, ava, 200n, 800n)
  await accrue(db, w, b, ben, 66n, 267n)
  await db.insert(ledgerEntries).values({
    occurredAt: later,
    entryType: 'payout',
    influencerId: ben,
    payoutId: payout.id,
    currency: CUR,
    amountMinor: -267n,
    idempotencyKey: `payout:${payout.id}`,
  })
  await reverse(w, a, ava, { gross: 250n, fee: 50n, net: 200n })
  await reverse(w, b, ben, { gross: 100n, fee: 20n, net: 80n, afterPayout: true })
  return w
}

let w: World

beforeEach(async () => {
  // TRUNCATE is the one way to empty the append-only ledger; it cascades to everything below organisations.
  await db.execute(sql`truncate organisations, payout_runs cascade`)
  w = await seed()
})

describe('verifyLedger', () => {
  test('a consistent ledger passes every check', async () => {
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.checks.map((c) => c.name)).toEqual([
      'commission_amounts',
      'commission_accruals',
      'reversal_entries',
      'reversal_totals',
      'commission_status',
      'attribution_weights',
      'entry_sources',
      'influencer_balances',
      'merchant_balances',
    ])
    for (const c of r.checks) {
      expect(c.sample).toEqual([])
      expect(c.description.length).toBeGreaterThan(0)
    }
  })

  test('a fully reversed unpaid commission marked reversed is consistent, and its balance is 0', async () => {
    await reverse(w, w.a.id, w.ava, { gross: 750n, fee: 150n, net: 600n })
    await db
      .update(commissions)
      .set({ status: 'reversed', reversedAt: later })
      .where(sql`id = ${w.a.id}`)
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual([])
  })

  test('a paid commission fully clawed back stays paid and is consistent', async () => {
    await reverse(w, w.b.id, w.ben, { gross: 233n, fee: 46n, net: 187n, afterPayout: true })
    expect(failing(await verifyLedger(db))).toEqual([])
  })

  test('adjustments are fine: an influencer correction, and one naming a commission', async () => {
    await db.insert(ledgerEntries).values([
      {
        occurredAt: later,
        entryType: 'adjustment',
        influencerId: w.cy,
        currency: CUR,
        amountMinor: 500n,
        idempotencyKey: 'adjust:goodwill:cy',
        memo: 'goodwill',
      },
      {
        occurredAt: later,
        entryType: 'adjustment',
        influencerId: w.ava,
        commissionId: w.a.id,
        currency: CUR,
        amountMinor: -5n,
        idempotencyKey: `adjust:${w.a.id}`,
        memo: 'rounding',
      },
    ])
    expect(failing(await verifyLedger(db))).toEqual([])
  })

  test('commission_amounts: a negative fee (the CHECK dropped) is reported even though its entries balance', async () => {
    const rollback = new Error('rollback')
    const attempt = db.transaction(async (tx) => {
      await tx.execute(sql`alter table commissions drop constraint commissions_amounts`)
      const conv = await conversion(w.merchantId, w.programId)
      const id = await commission(tx, w, {
        conversionId: conv,
        attributionId: await attribution(w, conv, w.cy),
        influencerId: w.cy,
        gross: 1000n,
        fee: -100n,
        net: 1100n,
      })
      await accrue(tx, w, id, w.cy, -100n, 1100n)
      const r = await verifyLedger(tx)
      expect(failing(r)).toEqual(['commission_amounts'])
      expect(check(r, 'commission_amounts')).toMatchObject({ violations: 1, sample: [id] })
      throw rollback
    })
    // conversion() and attribution() write outside the transaction; the truncate in beforeEach clears them.
    await expect(attempt).rejects.toBe(rollback)
  })

  test('commission_accruals: a commission without entries (and so a merchant owing less than it should)', async () => {
    const conv = await conversion(w.merchantId, w.programId)
    const id = await commission(db, w, {
      conversionId: conv,
      attributionId: await attribution(w, conv, w.cy),
      influencerId: w.cy,
      gross: 500n,
      fee: 100n,
      net: 400n,
    })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['commission_accruals', 'merchant_balances'])
    expect(check(r, 'commission_accruals')).toMatchObject({ violations: 1, sample: [id] })
    expect(check(r, 'merchant_balances').sample).toEqual([`${w.merchantId}/${CUR}`])
  })

  test('commission_accruals: a bogus extra earned entry on the influencer side', async () => {
    await db.insert(ledgerEntries).values({
      occurredAt: later,
      entryType: 'commission_earned',
      influencerId: w.ava,
      commissionId: w.a.id,
      currency: CUR,
      amountMinor: 800n,
      idempotencyKey: `bonus:${w.a.id}`,
    })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['commission_accruals'])
    expect(check(r, 'commission_accruals')).toMatchObject({ violations: 1, sample: [w.a.id] })
  })

  test('commission_accruals: the accrual posted to the wrong merchant', async () => {
    const [other] = await db
      .insert(merchants)
      .values({ orgId: (await orgId()) ?? '', name: 'Other', slug: 'other', defaultCurrency: CUR })
      .returning()
    const conv = await conversion(w.merchantId, w.programId)
    const id = await commission(db, w, {
      conversionId: conv,
      attributionId: await attribution(w, conv, w.cy),
      influencerId: w.cy,
      gross: 10n,
      fee: 2n,
      net: 8n,
    })
    await postAccrual(db, {
      ...posting(w, id, w.cy),
      merchantId: other?.id ?? '',
      feeMinor: 2n,
      netMinor: 8n,
    })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['commission_accruals', 'merchant_balances'])
    expect(check(r, 'commission_accruals').sample).toEqual([id])
    expect(check(r, 'merchant_balances').violations).toBe(2)
  })

  test('reversal_entries: a reversal posted with the wrong fee/net split', async () => {
    // The merchant total is right (−100), the split is not: only the reversal's own check sees it.
    const rid = await reverse(w, w.a.id, w.ava, {
      gross: 100n,
      fee: 20n,
      net: 80n,
      post: { fee: 30n, net: 70n },
    })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['reversal_entries'])
    expect(check(r, 'reversal_entries')).toMatchObject({ violations: 1, sample: [rid] })
  })

  test('reversal_entries: a reversal with no entries', async () => {
    const [row] = await db
      .insert(reversals)
      .values({
        commissionId: w.a.id,
        grossMinor: 10n,
        feeMinor: 2n,
        netMinor: 8n,
        currency: CUR,
        reason: 'x',
      })
      .returning()
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['reversal_entries', 'merchant_balances'])
    expect(check(r, 'reversal_entries').sample).toEqual([row?.id])
  })

  test('reversal_totals: reversals exceeding their commission', async () => {
    await reverse(w, w.a.id, w.ava, { gross: 900n, fee: 100n, net: 800n })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['reversal_totals'])
    expect(check(r, 'reversal_totals')).toMatchObject({ violations: 1, sample: [w.a.id] })
  })

  test("commission_status: 'paid' without a payout", async () => {
    await db
      .update(commissions)
      .set({ status: 'paid', approvedAt: later })
      .where(sql`id = ${w.a.id}`)
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['commission_status'])
    expect(check(r, 'commission_status').sample).toEqual([w.a.id])
  })

  test("commission_status: 'approved' without approved_at", async () => {
    await db
      .update(commissions)
      .set({ status: 'approved' })
      .where(sql`id = ${w.a.id}`)
    expect(failing(await verifyLedger(db))).toEqual(['commission_status'])
  })

  test('commission_status: fully reversed but still pending', async () => {
    await reverse(w, w.a.id, w.ava, { gross: 750n, fee: 150n, net: 600n })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['commission_status'])
    expect(check(r, 'commission_status').sample).toEqual([w.a.id])
  })

  test("commission_status + influencer_balances: 'reversed' while only partly reversed", async () => {
    await db
      .update(commissions)
      .set({ status: 'reversed', reversedAt: later })
      .where(sql`id = ${w.a.id}`)
    const r = await verifyLedger(db)
    // The view files the commission's remaining +600 under reversed_minor, which must be 0.
    expect(failing(r)).toEqual(['commission_status', 'influencer_balances'])
    expect(check(r, 'influencer_balances').sample).toEqual([`${w.ava}/${CUR}`])
  })

  test('commission_status: a clawback on a commission that was never paid', async () => {
    await reverse(w, w.a.id, w.ava, { gross: 10n, fee: 2n, net: 8n, afterPayout: true })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['commission_status'])
    expect(check(r, 'commission_status').sample).toEqual([w.a.id])
  })

  test('attribution_weights: thirds are exact, two of them are not 1', async () => {
    const conv = await conversion(w.merchantId, w.programId)
    await attribution(w, conv, w.ava, [1n, 3n])
    await attribution(w, conv, w.ben, [1n, 3n])
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['attribution_weights'])
    expect(check(r, 'attribution_weights')).toMatchObject({ violations: 1, sample: [conv] })
  })

  test('attribution_weights: large unlike denominators that do sum to 1 pass', async () => {
    const conv = await conversion(w.merchantId, w.programId)
    const big = 9_007_199_254_740_993n // 2^53 + 1: a float would round it
    await attribution(w, conv, w.ava, [1n, big])
    await attribution(w, conv, w.ben, [big - 1n, big])
    expect(failing(await verifyLedger(db))).toEqual([])
    const off = await conversion(w.merchantId, w.programId)
    await attribution(w, off, w.ava, [1n, big])
    await attribution(w, off, w.ben, [big - 2n, big])
    expect(check(await verifyLedger(db), 'attribution_weights').sample).toEqual([off])
  })

  test('entry_sources: a clawback naming no reversal', async () => {
    const [row] = await db
      .insert(ledgerEntries)
      .values({
        occurredAt: later,
        entryType: 'clawback',
        influencerId: w.ben,
        commissionId: w.b.id,
        currency: CUR,
        amountMinor: -10n,
        idempotencyKey: 'clawback:by-hand',
      })
      .returning()
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['entry_sources'])
    expect(check(r, 'entry_sources')).toMatchObject({ violations: 1, sample: [row?.id] })
  })

  test('entry_sources: an influencer earned entry naming no commission also escapes the balance buckets', async () => {
    await db.insert(ledgerEntries).values({
      occurredAt: later,
      entryType: 'commission_earned',
      influencerId: w.cy,
      currency: CUR,
      amountMinor: 10n,
      idempotencyKey: 'earned:nothing',
    })
    expect(failing(await verifyLedger(db))).toEqual(['entry_sources', 'influencer_balances'])
  })

  test('merchant_balances: a merchant adjustment changes what it is recorded to owe', async () => {
    await db.insert(ledgerEntries).values({
      occurredAt: later,
      entryType: 'adjustment',
      merchantId: w.merchantId,
      currency: CUR,
      amountMinor: -50n,
      idempotencyKey: 'adjust:merchant',
    })
    const r = await verifyLedger(db)
    expect(failing(r)).toEqual(['merchant_balances'])
    expect(check(r, 'merchant_balances')).toMatchObject({ violations: 1, sample: [`${w.merchantId}/${CUR}`] })
  })

  test('the sample keeps 5 ids, violations counts them all', async () => {
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      const conv = await conversion(w.merchantId, w.programId)
      await attribution(w, conv, w.cy, [1n, 2n])
      ids.push(conv)
    }
    const c = check(await verifyLedger(db), 'attribution_weights')
    expect(c.violations).toBe(7)
    expect(c.sample).toEqual(ids.sort().slice(0, 5))
  })
})

async function orgId(): Promise<string | undefined> {
  const [row] = await db.select({ id: organisations.id }).from(organisations)
  return row?.id
}

describe('skinstack ledger verify', () => {
  const capture = () => {
    const out: string[] = []
    const err: string[] = []
    return { out, err, o: (s: string) => void out.push(s), e: (s: string) => void err.push(s) }
  }

  test('table output, exit 0 when consistent and 3 on a violation', async () => {
    const ok = capture()
    expect(await runLedgerVerify(testConfig(url), { json: false }, ok.o, ok.e)).toBe(0)
    expect(ok.out.join('')).toContain('PASS  commission_accruals')
    expect(ok.out.join('')).toContain('all 9 checks passed')

    await db
      .update(commissions)
      .set({ status: 'paid', approvedAt: later })
      .where(sql`id = ${w.a.id}`)
    const bad = capture()
    expect(await runLedgerVerify(testConfig(url), { json: false }, bad.o, bad.e)).toBe(3)
    expect(bad.out.join('')).toMatch(new RegExp(`FAIL  commission_status +1  e\\.g\\. ${w.a.id}`))
    expect(bad.out.join('')).toContain('1 violation(s) in 1 of 9 checks')
  })

  test('--json prints the verification', async () => {
    await reverse(w, w.a.id, w.ava, { gross: 900n, fee: 100n, net: 800n })
    const c = capture()
    expect(await runLedgerVerify(testConfig(url), { json: true }, c.o, c.e)).toBe(3)
    const parsed = JSON.parse(c.out.join('')) as LedgerVerification
    expect(parsed.ok).toBe(false)
    expect(failing(parsed)).toEqual(['reversal_totals'])
  })

  // The real entry point (exit codes are main's), run from source: cheaper than compiling dist/skinstack.
  const cli = (args: string[], env: Record<string, string>) =>
    runSource(args, { ...testSecretsEnv, LOG_LEVEL: 'silent', ...env })

  test('end to end: 0, 3, 1 when the database is unreachable, 2 on bad usage', async () => {
    const good = await cli(['ledger', 'verify', '--json'], { DATABASE_URL: url })
    expect(good.stderr).toBe('')
    expect(good.code).toBe(0)
    expect((JSON.parse(good.stdout) as LedgerVerification).ok).toBe(true)

    await reverse(w, w.a.id, w.ava, { gross: 900n, fee: 100n, net: 800n })
    const bad = await cli(['ledger', 'verify'], { DATABASE_URL: url })
    expect(bad.code).toBe(3)
    expect(bad.stdout).toContain('FAIL  reversal_totals')

    const down = await cli(['ledger', 'verify'], { DATABASE_URL: 'postgres://app:pw@127.0.0.1:1/nowhere' })
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('cannot connect to DATABASE_URL')

    const usage = await cli(['ledger'], { DATABASE_URL: url })
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('ledger needs an action: verify')
  })
})
