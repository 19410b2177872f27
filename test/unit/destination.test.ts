import { describe, expect, test } from 'bun:test'
import {
  buildDestination,
  type DestinationInput,
  type NetworkRules,
  validateDestination,
} from '../../src/shared/destination.ts'

describe('validateDestination refuses', () => {
  const long = (n: number) => `https://shop.example/${'a'.repeat(n - 'https://shop.example/'.length)}`
  const refused: [string, string][] = [
    ['javascript:alert(1)', 'scheme'],
    ['JAVASCRIPT:alert(1)', 'scheme'],
    ['JaVaScRiPt://x.com/%0aalert(1)', 'control'],
    ['data:text/html,<script>alert(1)</script>', 'scheme'],
    ['vbscript:msgbox(1)', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['ftp://files.example/x', 'scheme'],
    ['//evil.com', 'scheme'],
    ['/relative/path', 'scheme'],
    ['https:evil.com', 'scheme'],
    ['https:/evil.com', 'scheme'],
    ['https:\\\\evil.com', 'backslash'],
    ['https:/\\evil.com', 'backslash'],
    ['https://shop.example\\@evil.com', 'backslash'],
    [' https://x.com', 'whitespace'],
    ['https://x.com ', 'whitespace'],
    ['\nhttps://x.com', 'whitespace'],
    ['https://user:pw@x.com', 'credentials'],
    ['https://user@x.com', 'credentials'],
    ['https://@x.com', 'credentials'],
    ['https://x.com:@evil.com', 'credentials'],
    ['https://x.com/%0d%0aSet-Cookie:a', 'control'],
    ['https://x.com/%0D%0ASet-Cookie:a', 'control'],
    ['https://x.com/?a=%00', 'control'],
    ['https://x.com/?a=%7f', 'control'],
    ['https://x.com/%250d%250a', 'control'],
    ['https://x.com/\r\nSet-Cookie:a', 'control'],
    ['https://x.com/a\tb', 'control'],
    ['https://x.com/\u0000', 'control'],
    ['https://x.com/\u2028a', 'control'],
    ['https://x.com/\u0085a', 'control'],
    ['https://', 'invalid'],
    ['https:///evil.com', 'host'],
    ['https://exa mple.com/', 'invalid'],
    ['http://[::1', 'invalid'],
    [long(2049), 'length'],
    [`https://shop.example/?q=${'é'.repeat(1000)}`, 'length'],
  ]
  const label = (raw: string) =>
    raw.length > 60 ? `${raw.slice(0, 30)}… (${raw.length} chars)` : JSON.stringify(raw)
  test.each(refused.map(([raw, reason]) => [`${label(raw)} → ${reason}`, raw, reason]))(
    '%s',
    (_label, raw, reason) => {
      const r = validateDestination(raw)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.reason).toBe(reason as never)
    },
  )

  test('non-strings', () => {
    for (const v of [null, undefined, 42, {}, ['https://x.com']])
      expect(validateDestination(v).ok).toBe(false)
  })

  test('exactly 2,048 characters is fine', () => {
    expect(validateDestination(long(2048)).ok).toBe(true)
  })
})

describe('validateDestination accepts and normalises', () => {
  test.each([
    ['https://shop.example/p?a=1#frag', 'https://shop.example/p?a=1#frag'],
    ['HTTPS://Shop.Example/p', 'https://shop.example/p'],
    ['http://shop.example', 'http://shop.example/'],
    ['https://shop.example:8443/x', 'https://shop.example:8443/x'],
    ['https://shop.example/search?q=red dress', 'https://shop.example/search?q=red%20dress'],
    ['https://例え.jp/商品', 'https://xn--r8jz45g.jp/%E5%95%86%E5%93%81'],
    ['https://shop.example/a%20b?x=%2F', 'https://shop.example/a%20b?x=%2F'],
  ])('%p', (raw, href) => {
    expect(validateDestination(raw)).toEqual({ ok: true, url: href })
  })
})

const net = (code: string | null, clickParam: string | null = null, subIdParam: string | null = null) =>
  ({ code, clickParam, subIdParam }) satisfies NetworkRules

const base: DestinationInput = {
  destinationUrl: 'https://shop.example/p',
  utm: null,
  networkParams: null,
  network: null,
  subId: 'ava',
  defaultClickParam: 'sk_cid',
}

describe('buildDestination', () => {
  test.each<[string, Partial<DestinationInput>, string, string]>([
    ['no network: generic sub_id, default click param', {}, 'https://shop.example/p?sub_id=ava', 'sk_cid'],
    ['network code generic', { network: net('generic') }, 'https://shop.example/p?sub_id=ava', 'sk_cid'],
    [
      'unknown code falls back to generic',
      { network: net('awin') },
      'https://shop.example/p?sub_id=ava',
      'sk_cid',
    ],
    ['config click param', { defaultClickParam: 'cid' }, 'https://shop.example/p?sub_id=ava', 'cid'],
    [
      'impact: subId2 = handle, click id in subId1, irclickid kept, stale subId1 dropped',
      {
        destinationUrl: 'https://brand.sjv.io/c/1/2/3?irclickid=abc&subId1=stale',
        network: net('impact'),
      },
      'https://brand.sjv.io/c/1/2/3?irclickid=abc&subId2=ava',
      'subId1',
    ],
    [
      'amazon: our tag replaces a foreign one, click id in ascsubtag, no sub id',
      {
        destinationUrl: 'https://www.amazon.com/dp/B000?tag=someone-20&th=1',
        networkParams: { tag: 'glow-20' },
        network: net('amazon'),
      },
      'https://www.amazon.com/dp/B000?th=1&tag=glow-20',
      'ascsubtag',
    ],
    ['shopify: rsub / aff_sub', { network: net('shopify') }, 'https://shop.example/p?rsub=ava', 'aff_sub'],
    [
      'refersion: rsub / aff_sub',
      { network: net('refersion') },
      'https://shop.example/p?rsub=ava',
      'aff_sub',
    ],
    ['code is case-insensitive', { network: net('Impact') }, 'https://shop.example/p?subId2=ava', 'subId1'],
    [
      'networks row overrides both names',
      { network: net('impact', 'clickref', 'pubref') },
      'https://shop.example/p?pubref=ava',
      'clickref',
    ],
    [
      'existing query kept byte for byte',
      { destinationUrl: 'https://shop.example/p?b=a%20b&flag&x=1+2&e=%E2%9C%93' },
      'https://shop.example/p?b=a%20b&flag&x=1+2&e=%E2%9C%93&sub_id=ava',
      'sk_cid',
    ],
    [
      'fragment stays last',
      { destinationUrl: 'https://shop.example/p?a=1#section?x=1&y', utm: { utm_source: 'ig' } },
      'https://shop.example/p?a=1&sub_id=ava&utm_source=ig#section?x=1&y',
      'sk_cid',
    ],
    [
      'UTM fills only missing keys, in a fixed order',
      {
        destinationUrl: 'https://shop.example/p?utm_source=newsletter',
        utm: { utm_content: 'c', utm_source: 'ig', utm_medium: 'social' },
      },
      'https://shop.example/p?utm_source=newsletter&sub_id=ava&utm_medium=social&utm_content=c',
      'sk_cid',
    ],
    [
      'non-UTM keys in utm are ignored',
      { utm: { foo: 'bar', utm_term: 't' } },
      'https://shop.example/p?sub_id=ava&utm_term=t',
      'sk_cid',
    ],
    [
      'a stale click id under our param is removed',
      { destinationUrl: 'https://shop.example/p?sk_cid=old&a=1' },
      'https://shop.example/p?a=1&sub_id=ava',
      'sk_cid',
    ],
    [
      'values are encoded',
      { subId: 'a b&c=d', networkParams: { 'ref[x]': 'é/?' } },
      'https://shop.example/p?ref%5Bx%5D=%C3%A9%2F%3F&sub_id=a%20b%26c%3Dd',
      'sk_cid',
    ],
    [
      'an empty query',
      { destinationUrl: 'https://shop.example/p?' },
      'https://shop.example/p?sub_id=ava',
      'sk_cid',
    ],
    [
      'networkParams replace an existing key, including an encoded one',
      { destinationUrl: 'https://shop.example/p?r%65f=1&keep=2', networkParams: { ref: 'me' } },
      'https://shop.example/p?keep=2&ref=me&sub_id=ava',
      'sk_cid',
    ],
    ['empty sub id is not written', { subId: '' }, 'https://shop.example/p', 'sk_cid'],
  ])('%s', (_name, over, url, clickParam) => {
    expect(buildDestination({ ...base, ...over })).toEqual({ url, clickParam })
  })
})
