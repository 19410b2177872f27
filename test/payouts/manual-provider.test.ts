import { describe, expect, test } from 'bun:test'
import {
  createManualProvider,
  guardCell,
  type StatementRow,
  statementCsv,
  statementRows,
} from '../../src/payouts/providers/manual.ts'
import type { PayoutRequest } from '../../src/payouts/providers/types.ts'

const req: PayoutRequest = {
  payoutId: '0195f0e1-0000-7000-8000-000000000001',
  idempotencyKey: 'skinstack-payout-0195f0e1-0000-7000-8000-000000000001',
  influencerId: '0195f0e1-0000-7000-8000-0000000000aa',
  account: 'IBAN DE89 3704 0044 0532 0130 00',
  currency: 'EUR',
  amountMinor: 5000n,
  description: 'SkinStack payout 2025-06',
}

const row = (over: Partial<StatementRow> = {}): StatementRow => ({
  payoutId: 'p1',
  influencer: 'Mia Glow',
  commissionId: 'c1',
  conversion: 'order-1001',
  kind: 'sale',
  currency: 'USD',
  grossMinor: 1500n,
  feeMinor: 300n,
  netMinor: 1200n,
  date: '2025-07-01T00:00:00.000Z',
  ...over,
})

/** Minimal RFC 4180 reader, to check what a spreadsheet would get back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cell += '"'), i++)
      else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') (row.push(cell), (cell = ''))
    else if (ch === '\r' && text[i + 1] === '\n')
      (row.push(cell), rows.push(row), (row = []), (cell = ''), i++)
    else cell += ch
  }
  return rows
}

describe('manual provider', () => {
  test('send is processing under a manual ref, with no network; status is null unless told', async () => {
    const manual = createManualProvider()
    expect(manual.method).toBe('manual')
    expect(await manual.send(req)).toEqual({ status: 'processing', providerRef: `manual:${req.payoutId}` })
    expect(await manual.send(req)).toEqual({ status: 'processing', providerRef: `manual:${req.payoutId}` })
    expect(await manual.status(req, `manual:${req.payoutId}`)).toBeNull()
  })

  test('status asks whoever records the admin confirmation', async () => {
    const manual = createManualProvider({
      confirmed: async (r, ref) => (ref ? { status: 'paid', providerRef: `${ref}:bank-ref-42` } : null),
    })
    expect(await manual.status(req, 'manual:x')).toEqual({
      status: 'paid',
      providerRef: 'manual:x:bank-ref-42',
    })
    expect(await manual.status(req, null)).toBeNull()
  })

  test('a non-positive amount is refused', async () => {
    expect(await createManualProvider().send({ ...req, amountMinor: 0n })).toMatchObject({
      status: 'failed',
      retryable: false,
    })
  })
})

describe('statement CSV', () => {
  test('header, CRLF records, amounts as decimals of the currency', () => {
    const csv = statementCsv([
      row(),
      row({ commissionId: 'c2', currency: 'JPY', grossMinor: 500n, feeMinor: 0n, netMinor: 500n }),
    ])
    expect(csv).toBe(
      'payout_id,influencer,commission_id,conversion,kind,currency,gross,fee,net,date\r\n' +
        'p1,Mia Glow,c1,order-1001,sale,USD,15.00,3.00,12.00,2025-07-01T00:00:00.000Z\r\n' +
        'p1,Mia Glow,c2,order-1001,sale,JPY,500,0,500,2025-07-01T00:00:00.000Z\r\n',
    )
  })

  test('quotes, commas and line breaks survive a round trip', () => {
    const influencer = 'Mia "Glow", Berlin\r\nStudio\nTwo\rThree'
    const csv = statementCsv([row({ influencer, conversion: 'a,b' })])
    const [, line] = parseCsv(csv)
    expect(line?.[1]).toBe(influencer)
    expect(line?.[3]).toBe('a,b')
    expect(parseCsv(csv)).toHaveLength(2)
  })

  test.each([
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['-', "'-"],
    ['Mia', 'Mia'],
    ["'quoted", "'quoted"],
    ['-12.50', '-12.50'],
    ['-3', '-3'],
    ['12.50', '12.50'],
  ])('guardCell(%p) → %p', (input, output) => {
    expect(guardCell(input)).toBe(output)
  })

  test('free-text cells are guarded; clawbacks stay negative numbers', () => {
    const csv = statementCsv([
      row({ influencer: '=cmd|"/c calc"!A1', conversion: '@order', kind: 'sale' }),
      row({ commissionId: 'c3', kind: 'clawback', grossMinor: -1500n, feeMinor: -300n, netMinor: -1200n }),
    ])
    const [, evil, clawback] = parseCsv(csv)
    expect(evil?.[1]).toBe(`'=cmd|"/c calc"!A1`)
    expect(evil?.[3]).toBe("'@order")
    expect(clawback?.slice(6, 9)).toEqual(['-15.00', '-3.00', '-12.00'])
  })

  test('a stored statement: commissions, the carried balance, the processing fee; net adds up to what was paid', () => {
    const payout = {
      id: 'p9',
      currency: 'USD',
      processingFeeMinor: 175n,
      netMinor: 4825n,
      createdAt: new Date('2025-07-01T12:00:00Z'),
      statement: {
        commissions: [
          {
            id: 'c1',
            conversionId: 'v1',
            kind: 'sale',
            grossMinor: '4000',
            feeMinor: '400',
            netMinor: '3600',
          },
          {
            id: 'c2',
            conversionId: 'v2',
            kind: 'bounty',
            grossMinor: '2000',
            feeMinor: '0',
            netMinor: '2000',
          },
        ],
        carriedMinor: '-600',
        payableMinor: '5000',
      },
    }
    const rows = statementRows(payout, 'Mia Glow')
    expect(rows.map((r) => [r.kind, r.netMinor])).toEqual([
      ['sale', 3600n],
      ['bounty', 2000n],
      ['carried_balance', -600n],
      ['processing_fee', -175n],
    ])
    expect(rows.reduce((a, r) => a + r.netMinor, 0n)).toBe(payout.netMinor)
    const lines = parseCsv(statementCsv(rows))
    expect(lines[3]?.slice(4, 9)).toEqual(['carried_balance', 'USD', '-6.00', '0.00', '-6.00'])
    expect(lines[4]?.slice(4, 9)).toEqual(['processing_fee', 'USD', '0.00', '1.75', '-1.75'])
    expect(lines[1]?.[9]).toBe('2025-07-01T12:00:00.000Z')
  })

  test('an empty statement is just the header', () => {
    expect(statementCsv([])).toBe(
      'payout_id,influencer,commission_id,conversion,kind,currency,gross,fee,net,date\r\n',
    )
  })
})
