import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { CsvError, parseCsv } from '../../src/webhooks/csv.ts'
import { mappingGaps, normalizeImportedRow } from '../../src/webhooks/csv-row.ts'

const fields = (text: string, delimiter?: string) => parseCsv(text, delimiter).map((r) => r.fields)

describe('parseCsv (RFC 4180)', () => {
  test.each([
    [
      'plain',
      'a,b,c\n1,2,3\n',
      [
        ['a', 'b', 'c'],
        ['1', '2', '3'],
      ],
    ],
    [
      'no final line break',
      'a,b\n1,2',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'CRLF',
      'a,b\r\n1,2\r\n',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'lone CR',
      'a,b\r1,2\r',
      [
        ['a', 'b'],
        ['1', '2'],
      ],
    ],
    [
      'BOM dropped',
      '\uFEFForder,total\n1,2\n',
      [
        ['order', 'total'],
        ['1', '2'],
      ],
    ],
    ['quoted delimiter', '"a,b",c\n', [['a,b', 'c']]],
    ['escaped quotes', '"say ""hi""",x\n', [['say "hi"', 'x']]],
    ['quoted line breaks kept', '"line1\r\nline2",x\n', [['line1\r\nline2', 'x']]],
    ['empty fields', ',,\n', [['', '', '']]],
    ['trailing delimiter at EOF', 'a,b,', [['a', 'b', '']]],
    ['quoted empty field', '"",x\n', [['', 'x']]],
    ['empty lines skipped', 'a\n\n\r\nb\n\n', [['a'], ['b']]],
    ['spaces kept', ' a , b \n', [[' a ', ' b ']]],
    ['only a quote pair of quotes', '""""\n', [['"']]],
  ])('%s', (_label, text, expected) => {
    expect(fields(text)).toEqual(expected)
  })

  test('semicolon and tab delimiters', () => {
    expect(fields('a;"b;c"\n1;2', ';')).toEqual([
      ['a', 'b;c'],
      ['1', '2'],
    ])
    expect(fields('a\tb\n1,5\t2', '\t')).toEqual([
      ['a', 'b'],
      ['1,5', '2'],
    ])
  })

  test('each record knows the line it starts on, counting breaks inside quotes', () => {
    const recs = parseCsv('h1,h2\r\n"multi\r\nline\nvalue",x\r\n\r\nlast,row\n')
    expect(recs.map((r) => r.line)).toEqual([1, 2, 6])
  })

  test.each([
    ['unterminated quote', 'a,b\n1,"never closed\n2,3\n', 2, 'a quoted field is never closed'],
    ['text after closing quote', 'a,b\n"x"y,2\n', 2, 'after a closing quote'],
    ['quote inside unquoted field', 'a,b\n1,2\nab"c,3\n', 3, 'a quote inside an unquoted field'],
    ['error after a multi-line field', '"a\nb",c\nd"e\n', 3, 'a quote inside an unquoted field'],
  ])('%s → CsvError naming line %d', (_label, text, line, message) => {
    let caught: unknown
    try {
      parseCsv(text)
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(CsvError)
    expect((caught as CsvError).line).toBe(line)
    expect((caught as CsvError).message).toStartWith(`line ${line}: `)
    expect((caught as CsvError).message).toContain(message)
  })

  test('round trip: any table written with RFC 4180 quoting parses back unchanged', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\n', '\r', ' ', ';', '1') })
    const table = fc
      .integer({ min: 1, max: 4 })
      .chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 6 }))
    fc.assert(
      fc.property(table, fc.constantFrom('\n', '\r\n'), (rows, eol) => {
        // A row of one empty cell is indistinguishable from an empty line: write it quoted.
        const text = rows.map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(',')).join(eol) + eol
        expect(fields(text)).toEqual(rows)
      }),
      { seed: 4180, numRuns: 300 },
    )
  })
})

describe('report rows → events', () => {
  const mapping = {
    columns: {
      order_id: 'Order ID',
      occurred_at: 'Date',
      total: 'Revenue',
      currency: 'Currency',
      kind: 'Type',
      refund_id: 'Refund',
      sub_id: 'Tracking ID',
    },
    defaultCurrency: 'USD',
    kindValues: { Returned: 'refund' as const },
  }
  const normalize = (row: Record<string, string>) =>
    normalizeImportedRow({
      network: 'amazon',
      mapping,
      row: { 'Order ID': 'A-1', Date: '2026-03-14', ...row },
    })

  test('a sale: exact decimal, UTC date, sub id, dedupe key network:kind:order', () => {
    const r = normalize({ Revenue: '100.10', Currency: 'eur', Type: '', Refund: '', 'Tracking ID': 'ava' })
    expect(r).toMatchObject({
      ok: true,
      event: {
        externalEventId: 'amazon:sale:A-1',
        kind: 'sale',
        orderId: 'A-1',
        subEventId: null,
        occurredAt: new Date('2026-03-14T00:00:00Z'),
        currency: 'EUR',
        total: '100.10',
        subId: 'ava',
      },
    })
  })

  test('a refund reported negative, in the network’s own word, keyed by its refund id', () => {
    const r = normalize({ Revenue: '-40.00', Type: 'returned', Refund: 'R9', Currency: '' })
    expect(r).toMatchObject({
      ok: true,
      event: { externalEventId: 'amazon:refund:A-1:R9', kind: 'refund', total: '40.00', currency: 'USD' },
    })
  })

  test.each([
    ['2026-03-14 10:22:01', '2026-03-14T10:22:01Z'],
    ['2026-03-14T10:22:01.123Z', '2026-03-14T10:22:01.123Z'],
    ['2026-03-14T10:22:01+05:30', '2026-03-14T04:52:01Z'],
    ['2026-03-14T10:22-0500', '2026-03-14T15:22:00Z'],
  ])('occurred_at %s → %s', (value, iso) => {
    const r = normalize({ Date: value, Revenue: '1.00' })
    expect(r.ok && r.event.occurredAt.toISOString()).toBe(new Date(iso).toISOString())
  })

  test.each([
    [{ 'Order ID': '' }, 'order_id is empty'],
    [{ Date: '14/03/2026' }, 'occurred_at "14/03/2026" is not an ISO 8601'],
    [{ Date: '2026-02-30' }, 'occurred_at "2026-02-30"'],
    [{ Revenue: '1,234.50' }, 'total "1,234.50" is not a plain decimal'],
    [{ Revenue: '1e3' }, 'is not a plain decimal'],
    [{ Revenue: '0.00001' }, 'more than 4 decimals'],
    [{ Revenue: '-5.00' }, 'is negative (only refund rows may be)'],
    [{ Type: 'chargeback' }, 'kind "chargeback" is not sale, refund or lead'],
    [{ Type: 'refund' }, 'a refund row needs refund_id'],
    [{ Currency: 'dollars' }, 'currency "DOLLARS" is not an ISO 4217 code'],
  ])('%j is rejected: %s', (row, reason) => {
    const r = normalize({ Revenue: '10.00', ...row })
    expect(r.ok).toBe(false)
    expect(!r.ok && r.reason).toContain(reason)
  })

  test('ids holding the separator cannot collide in the dedupe key', () => {
    const a = normalize({ 'Order ID': 'X:1', Revenue: '1', Type: 'refund', Refund: '2' })
    const b = normalize({ 'Order ID': 'X', Revenue: '1', Type: 'refund', Refund: '1:2' })
    expect(a.ok && a.event.externalEventId).toBe('amazon:refund:X%3A1:2')
    expect(b.ok && b.event.externalEventId).toBe('amazon:refund:X:1%3A2')
  })

  test('every problem of a row is named at once', () => {
    const r = normalize({ 'Order ID': '', Revenue: 'abc', Date: 'soon' })
    expect(!r.ok && r.reason.split('; ')).toHaveLength(3)
  })

  test('mapping gaps name what is missing', () => {
    expect(mappingGaps({ columns: { order_id: 'x' } })).toEqual([
      'columns.occurred_at',
      'columns.total',
      'columns.currency or defaultCurrency',
    ])
    expect(mappingGaps(mapping)).toEqual([])
  })
})
