// Shared by the fuzz suites: what every answer must look like, and the generators of hostile input.
import { expect } from 'bun:test'
import fc from 'fast-check'

export const RUNS = 10_000

/** Logged so a failure (or a slow run) can be reproduced with the same seed. */
export function announce(target: string, seed: number, runs = RUNS) {
  console.log(`[fuzz] ${target}: seed=${seed} numRuns=${runs}`)
}

/**
 * Collects unhandled rejections for the calling file; assert `list` is empty at the end. (bun test 1.4 also fails
 * the test a rejection goes unhandled in, or the run when it happens between tests, without calling process
 * listeners: this catches whatever does reach them.)
 */
export function trackUnhandledRejections() {
  const list: unknown[] = []
  const onRejection = (reason: unknown) => {
    list.push(reason)
  }
  process.on('unhandledRejection', onRejection)
  return { list, stop: () => process.off('unhandledRejection', onRejection) }
}

export interface Answer {
  readonly status: number
  readonly text: string
  readonly contentType: string
  readonly headers: Headers
}

export async function read(res: Response): Promise<Answer> {
  return {
    status: res.status,
    text: await res.text(),
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
  }
}

/** The API's error shape (src/shared/errors.ts): `{ error: { code, message, details? } }`. */
export function expectErrorBody(a: Answer): { code: string; message: string; details?: unknown } {
  expect(a.contentType).toContain('application/json')
  let body: unknown
  try {
    body = JSON.parse(a.text)
  } catch {
    throw new Error(`status ${a.status} with a body that is not JSON: ${a.text.slice(0, 200)}`)
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error
  expect(typeof error?.code).toBe('string')
  expect(typeof error?.message).toBe('string')
  expect((error?.code as string).length).toBeGreaterThan(0)
  return error as { code: string; message: string; details?: unknown }
}

/**
 * Never a 5xx; an answer outside `accepted` is a 4xx whose JSON body says why. Returns the error code
 * (or null for an accepted status) so callers can make sharper assertions.
 */
export function expectAcceptedOr4xx(a: Answer, accepted: readonly number[]): string | null {
  if (a.status >= 500) throw new Error(`${a.status}: ${a.text.slice(0, 500)}`)
  if (accepted.includes(a.status)) return null
  expect(a.status).toBeGreaterThanOrEqual(400)
  expect(a.status).toBeLessThan(500)
  return expectErrorBody(a).code
}

// ---- hostile values -----------------------------------------------------------------------------

/** Strings that break parsers, databases and decimal/date/currency rules. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '\ufeff',
    '\u202e',
    '%00',
    '%',
    '\r\n',
    '-1',
    '-0',
    '0',
    '1e309',
    '1e3',
    'NaN',
    'Infinity',
    '0x10',
    '1_000',
    '١٢٣',
    '１２３',
    '99999999999999999999.99',
    '12345678901234567890123456789',
    '0.000001',
    '10.',
    '.5',
    '+5',
    'USD',
    'usd ',
    'US',
    'USDX',
    'U$D',
    'ÜSD',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '1970-01-01',
    'Sat, 01 Jan 0000 00:00:00 GMT',
    'true',
    'null',
    '{}',
    '[]',
    '<script>alert(1)</script>',
    "'; drop table conversions; --",
    '../../etc/passwd',
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    'https://evil.example/',
    'javascript:alert(1)',
    'c1.kid1.abc',
  ),
  // Long ones: column limits, regex backtracking, log lines.
  fc.constantFrom('a'.repeat(70_000), 'é'.repeat(20_000), '9'.repeat(5_000), '\u0000'.repeat(1_000)),
)

const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    -1,
    1.5,
    0.1,
    1e308,
    -1e308,
    5e-324,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    8_640_000_000_000_001,
    99_999_999_999,
    4102444800000,
  ),
)

/** Any JSON-ish value, biased towards what breaks things. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: nastyString, weight: 4 },
  { arbitrary: nastyNumber, weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
  { arbitrary: fc.array(nastyString, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.dictionary(nastyString, nastyString, { maxKeys: 3 }), weight: 1 },
)

const OMIT = Symbol('omit')

/**
 * Payloads shaped like `template` (real field names, real nesting) with, per field, a small chance of a
 * hostile value or of the field missing (1 in keepWeight + 2 each), and sometimes extra keys. A leaf given as an arbitrary generates
 * the good values (fresh ids, valid amounts); plain leaves are kept as they are.
 */
export function around(template: unknown, keepWeight = 16): fc.Arbitrary<unknown> {
  const keep: fc.Arbitrary<unknown> =
    template instanceof fc.Arbitrary
      ? template
      : Array.isArray(template)
        ? fc.array(around(template[0] ?? null, keepWeight), { minLength: 0, maxLength: 4 })
        : typeof template === 'object' && template !== null
          ? fc
              .tuple(
                fc.record(
                  Object.fromEntries(
                    Object.entries(template).map(([k, v]) => [
                      k,
                      fc.oneof(
                        { arbitrary: around(v, keepWeight), weight: keepWeight },
                        { arbitrary: nastyValue, weight: 1 },
                        { arbitrary: fc.constant(OMIT), weight: 1 },
                      ),
                    ]),
                  ),
                ),
                fc.oneof(
                  { arbitrary: fc.constant({}), weight: 12 },
                  { arbitrary: fc.dictionary(nastyString, nastyValue, { maxKeys: 2 }), weight: 1 },
                ),
              )
              .map(([rec, extra]) => {
                const out: Record<string, unknown> = { ...extra }
                for (const [k, v] of Object.entries(rec)) if (v !== OMIT) out[k] = v
                return out
              })
          : fc.constant(template)
  return keep
}

/** Header values as a server can receive them: visible ASCII, tabs and Latin-1 (what bytes ≥ 0x80 decode to). */
export const headerValue = (maxLength = 80): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 8 },
        { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 1 },
        { arbitrary: fc.constantFrom(0x09, 0x7f), weight: 1 },
      ),
      { maxLength },
    )
    .map((codes) => String.fromCharCode(...codes))

/** A unicode string as a header carries it on the wire: its UTF-8 bytes, read back as Latin-1. */
export const utf8AsLatin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1')

/** JSON text that JSON.stringify never produces: big literals, duplicates, escapes, trailing garbage. */
export const oddJsonText: fc.Arbitrary<string> = fc.constantFrom(
  '',
  ' ',
  'null',
  '0',
  '"str"',
  '[]',
  '{',
  '}',
  '{"a":}',
  '{"a":1,}',
  '{"a":1}{"b":2}',
  '{"a":1} trailing',
  '{"id":1e400}',
  '{"id":-1e400,"total":1e999}',
  '{"total":123456789012345678901234567890}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":"\\x41"}',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":Infinity}',
  '\ufeff{}',
  '{"a":1,"a":2}',
  '[' + '1,'.repeat(10_000) + '1]',
)
