import { describe, expect, test } from 'bun:test'
import {
  clickFlood,
  fastConversion,
  hashEmail,
  refundRate,
  selfReferral,
  sharedIp,
  THRESHOLDS,
} from '../../src/fraud/rules.ts'
import { hashEmail as adapterHashEmail } from '../../src/webhooks/networks/amounts.ts'

const T0 = new Date('2026-11-20T12:00:00.000Z')
const at = (ms: number) => new Date(T0.getTime() + ms)
const ava = hashEmail('ava@creators.example')

describe('hashEmail', () => {
  test.each([['ava@creators.example'], ['  Ava@Creators.Example '], ['ÉLODIE@exemple.fr']])(
    '%p hashes exactly as the network adapters store customer emails',
    (email) => {
      expect(hashEmail(email)).toBe(adapterHashEmail(email))
    },
  )
  test.each([[null], [undefined], [''], ['   ']])('%p has no hash', (email) => {
    expect(hashEmail(email)).toBeNull()
  })
})

describe('self_referral', () => {
  test.each([
    ['same hash', ava, ava, true],
    ['other customer', hashEmail('someone@else.example'), ava, false],
    ['no customer email', null, ava, false],
    ['influencer without email', ava, null, false],
    ['neither', null, null, false],
  ])('%s → %p', (_name, customer, influencer, hit) => {
    const r = selfReferral({ customerEmailHash: customer, influencerEmailHash: influencer })
    expect(r !== null).toBe(hit)
    if (r) {
      expect(r.rule).toBe('self_referral')
      expect(r.details).toEqual({ customerEmailHash: ava })
    }
  })
})

describe('shared_ip', () => {
  const others = (n: number, p = 'inf') => Array.from({ length: n }, (_, i) => `${p}-${i}`)
  test.each([
    ['no other influencer', 'h1', [], [], false],
    ['two others (a shopper comparing reviews)', 'h1', others(2), [], false],
    ['exactly the threshold', 'h1', others(THRESHOLDS.sharedIpOtherInfluencers), [], true],
    ['many others', 'h1', others(7), [], true],
    ['duplicates count once', 'h1', ['a', 'a', 'b', 'b'], [], false],
    ['no address known', null, others(5), [], false],
    ['logins alone: three other accounts logged in from the address', 'h1', [], others(3, 'l'), true],
    ['two logins are not enough', 'h1', [], others(2, 'l'), false],
    ['two by click and one by login add up', 'h1', others(2), ['l-0'], true],
    ['clicked and logged in as the same two: still two', 'h1', ['a', 'b'], ['b', 'a'], false],
    ['logins with no address known', null, [], others(5, 'l'), false],
  ])('%s', (_name, ipHash, clicked, logins, hit) => {
    const r = sharedIp({ ipHash, otherInfluencerIds: clicked, loginInfluencerIds: logins })
    expect(r !== null).toBe(hit)
    if (r) {
      const all = new Set([...clicked, ...logins])
      expect(r.reason).toContain(`${all.size} other influencers within 24 h`)
      expect(r.details).toMatchObject({
        ipHash: 'h1',
        otherInfluencers: all.size,
        byClick: new Set(clicked).size,
        byLogin: new Set(logins).size,
        threshold: 3,
      })
    }
  })
  test.each([
    [['a', 'b', 'c'], [], 'the address that converted also clicked links of 3 other influencers within 24 h'],
    [
      [],
      ['a', 'b', 'c'],
      'the address that converted was also used to log in as 3 other influencers within 24 h',
    ],
    [
      ['a', 'b'],
      ['b', 'c'],
      'the address that converted also clicked links of 2 and was used to log in as 2 of 3 other influencers within 24 h',
    ],
  ])('the reason says how the address was shared: %p by click, %p by login', (clicked, logins, reason) => {
    expect(sharedIp({ ipHash: 'h1', otherInfluencerIds: clicked, loginInfluencerIds: logins })?.reason).toBe(
      `${reason} (threshold 3)`,
    )
  })
})

describe('click_flood', () => {
  test.each([
    ['a person reopening the link', 'h', 3, 0, null],
    ['exactly the limit', 'h', THRESHOLDS.clickFloodClicks, 0, null],
    ['one over the limit', 'h', THRESHOLDS.clickFloodClicks + 1, 0, '11 clicks on the link'],
    ['a flood with no address is not counted', null, 50, null, null],
    ['bot score just under', 'h', 1, THRESHOLDS.clickFloodBotScore - 1, null],
    ['bot score at the bar', 'h', 1, THRESHOLDS.clickFloodBotScore, 'bot score is 40'],
    ['both', 'h', 30, 60, '30 clicks on the link from the deciding click'],
  ])('%s', (_name, ipHash, clicks, botScore, reason) => {
    const r = clickFlood({ ipHash, clicksOnLink: clicks, botScore })
    if (reason === null) expect(r).toBeNull()
    else {
      expect(r?.rule).toBe('click_flood')
      expect(r?.reason).toContain(reason)
    }
  })
})

describe('fast_conversion', () => {
  test.each([
    ['2 s after the click', 2_000, '2 s after'],
    ['9.9 s after', 9_900, '9.9 s after'],
    ['exactly 10 s', 10_000, null],
    ['a minute later', 60_000, null],
    ['before the click (clock skew)', -30_000, '30 s before the deciding click'],
  ])('%s', (_name, gapMs, reason) => {
    const r = fastConversion({ clickedAt: T0, occurredAt: at(gapMs) })
    if (reason === null) expect(r).toBeNull()
    else {
      expect(r?.reason).toContain(reason)
      expect(r?.details).toMatchObject({ thresholdSeconds: 10, secondsAfterClick: gapMs / 1000 })
    }
  })
})

describe('refund_rate', () => {
  test.each([
    ['no sales', 0, 0, null],
    ['all refunded but too few sales to tell', 9, 9, null],
    ['at the threshold (30 %)', 10, 3, null],
    ['just above', 10, 4, '4 of 10 sales in the last 30 days were refunded (40 %'],
    ['a big sample under it', 200, 50, null],
    ['a big sample over it', 200, 61, '61 of 200'],
  ])('%s', (_name, sales, refunded, reason) => {
    const r = refundRate({ sales, refunded })
    if (reason === null) expect(r).toBeNull()
    else {
      expect(r?.rule).toBe('refund_rate')
      expect(r?.reason).toContain(reason)
      expect(r?.details).toMatchObject({ sales, refunded, max: 0.3, minSales: 10, windowDays: 30 })
    }
  })
})

describe('evidence stays hashes and counts', () => {
  test('no rule puts an address or an email into its reason or details', () => {
    const hits = [
      selfReferral({ customerEmailHash: ava, influencerEmailHash: ava }),
      sharedIp({ ipHash: 'abc123', otherInfluencerIds: ['a', 'b', 'c'] }),
      clickFlood({ ipHash: 'abc123', clicksOnLink: 40, botScore: 50 }),
    ]
    const text = JSON.stringify(hits)
    expect(text).not.toContain('@')
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+/)
  })
})
