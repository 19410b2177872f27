// The dashboard: plain browser JavaScript, no build step and nothing fetched from outside this server.
;(() => {
  'use strict'
  const $ = (id) => document.getElementById(id)
  const KEY = 'skinstack.apiKey'
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
  let socket = null
  let chart = null
  let retry = 0
  let liveClicks = 0
  let summaryTimer = 0

  // Money arrives as minor units in strings (EPC with 4 decimals): shifted as text so no float ever rounds it.
  const exponent = (currency) =>
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits
  const money = (minor, currency) => {
    const exp = exponent(currency)
    const [whole, frac = ''] = String(minor).replace('-', '').split('.')
    const digits = whole.padStart(exp + 1, '0')
    const text = `${digits.slice(0, digits.length - exp)}.${digits.slice(digits.length - exp)}${frac}`
    const neg = String(minor).startsWith('-') ? '-' : ''
    const opts = { style: 'currency', currency, maximumFractionDigits: frac ? exp + 2 : exp }
    return new Intl.NumberFormat(undefined, opts).format(`${neg}${text}`)
  }
  /** One figure of the per-currency `money` object, formatted for each currency present. */
  const moneyOf = (perCurrency, field) => {
    const parts = Object.entries(perCurrency || {})
      .filter(([, m]) => m[field] != null)
      .map(([cur, m]) => money(m[field], cur))
    return parts.length ? parts.join(' · ') : ''
  }
  const count = (n) => new Intl.NumberFormat().format(Number(n))
  const percent = (r) => (r == null ? '' : `${(Number(r) * 100).toFixed(2)} % conversion`)

  async function api(path) {
    const res = await fetch(path, { headers: { authorization: `Bearer ${sessionStorage.getItem(KEY)}` } })
    const body = await res.json().catch(() => ({}))
    if (!res.ok)
      throw Object.assign(new Error(body?.error?.message || `HTTP ${res.status}`), { status: res.status })
    return body
  }

  const range = () => {
    const days = Number($('range').value)
    const to = new Date()
    const from = new Date(to.getTime() - days * 86_400_000)
    return { from: from.toISOString(), to: to.toISOString(), interval: days > 2 ? 'day' : 'hour', tz }
  }
  const qs = (o) => new URLSearchParams(o).toString()

  async function loadSummary() {
    const s = await api(`/api/v1/stats/summary?${qs(range())}`)
    liveClicks = 0
    $('m-clicks').textContent = count(s.clicks)
    $('m-clicks').dataset.base = String(s.clicks)
    $('m-human').textContent = `${count(s.humanClicks)} human · ${count(s.uniqueClicks)} unique`
    $('m-conversions').textContent = count(s.conversions)
    $('m-rate').textContent = percent(s.conversionRate)
    $('m-revenue').textContent = moneyOf(s.money, 'revenue') || '–'
    const aov = moneyOf(s.money, 'aov')
    $('m-aov').textContent = aov && `AOV ${aov}`
    $('m-commissions').textContent = moneyOf(s.money, 'earned') || '–'
    const epc = moneyOf(s.money, 'epc')
    $('m-epc').textContent = epc && `EPC ${epc}`
  }

  async function loadChart() {
    const r = range()
    const t = await api(`/api/v1/stats/timeseries?${qs(r)}`)
    const rows = t.data
    const data = [
      rows.map((p) => Date.parse(p.start) / 1000),
      rows.map((p) => Number(p.clicks)),
      rows.map((p) => Number(p.conversions)),
    ]
    const width = Math.max(280, $('chart').clientWidth)
    if (chart) chart.destroy()
    chart = new uPlot(
      {
        width,
        height: 260,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), tz),
        series: [
          {},
          { label: 'Clicks', stroke: '#c2410c', width: 2 },
          { label: 'Conversions', stroke: '#2563eb', width: 2, scale: 'conv' },
        ],
        axes: [{}, {}, { scale: 'conv', side: 1, grid: { show: false } }],
      },
      data,
      $('chart'),
    )
    $('chart').dataset.points = String(rows.length)
  }

  async function loadTopLinks() {
    const t = await api(`/api/v1/stats/top-links?${qs({ ...range(), limit: 10 })}`)
    const rows = t.data
    $('top-links').replaceChildren(
      ...rows.map((l) => {
        const tr = document.createElement('tr')
        for (const v of [
          `/l/${l.slug}`,
          count(l.clicks),
          count(l.conversions),
          moneyOf(l.money, 'revenue') || '–',
        ]) {
          const td = document.createElement('td')
          td.textContent = v
          tr.append(td)
        }
        return tr
      }),
    )
  }

  function feedItem(text, at) {
    const li = document.createElement('li')
    const span = document.createElement('span')
    span.textContent = text
    const time = document.createElement('time')
    time.textContent = new Date(at || Date.now()).toLocaleTimeString()
    li.append(span, time)
    $('feed').prepend(li)
    while ($('feed').children.length > 100) $('feed').lastChild.remove()
  }

  const describe = (e) => {
    const d = e.data || {}
    const amount = (minor) => (minor != null && d.currency ? ` · ${money(minor, d.currency)}` : '')
    switch (e.type) {
      case 'conversion.created':
        return `${d.kind === 'sale' ? 'Sale' : d.kind || 'Conversion'}${amount(d.totalMinor)} · order ${d.orderId}`
      case 'commission.approved':
        return `Commission approved${amount(d.netMinor)}`
      case 'commission.reversed':
        return `Commission ${d.full ? 'reversed' : 'partly reversed'}${amount(d.reversedNetMinor)}`
      case 'payout.paid':
        return `Payout sent${amount(d.netMinor)}`
      default:
        return e.type
    }
  }

  function connect() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
    socket = new WebSocket(url)
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: sessionStorage.getItem(KEY) }))
    socket.onmessage = (m) => {
      const f = JSON.parse(m.data)
      if (f.type === 'ready') {
        retry = 0
        $('feed-state').textContent = 'live'
        $('feed-state').classList.add('live')
        const p = f.principal
        const id = p.merchantId || p.influencerId
        $('who').textContent =
          p.kind === 'admin'
            ? 'Admin'
            : `${p.kind === 'merchant' ? 'Merchant' : 'Influencer'} ${id.slice(0, 8)}`
        $('who').title = id || ''
      } else if (f.type === 'clicks') {
        for (const l of f.links) feedItem(`${l.count} click${l.count === 1 ? '' : 's'} · /l/${l.slug}`, f.at)
        liveClicks += f.total
        const base = Number($('m-clicks').dataset.base || 0)
        $('m-clicks').textContent = count(base + liveClicks)
      } else if (f.type !== 'heartbeat' && f.type !== 'pong') {
        feedItem(describe(f), f.at)
        // Money changed: re-read the cards once the burst settles rather than patching figures by hand.
        clearTimeout(summaryTimer)
        summaryTimer = setTimeout(() => void loadSummary().catch(() => {}), 1_000)
      }
    }
    socket.onclose = (e) => {
      $('feed-state').textContent = 'offline'
      $('feed-state').classList.remove('live')
      if (e.code === 1008) return signOut('That key was refused.')
      if (!sessionStorage.getItem(KEY)) return
      // Back off up to 30 s: a restarting server (1001) or a dropped laptop network comes back by itself.
      setTimeout(connect, Math.min(30_000, 500 * 2 ** retry++))
    }
  }

  async function refresh() {
    try {
      await Promise.all([loadSummary(), loadChart(), loadTopLinks()])
    } catch (err) {
      if (err.status === 401) return signOut('That key was refused.')
      feedItem(`Could not load stats: ${err.message}`)
    }
  }

  function signOut(message = '') {
    sessionStorage.removeItem(KEY)
    if (socket) socket.close()
    socket = null
    $('board').hidden = true
    $('logout').hidden = true
    $('login').hidden = false
    $('who').textContent = ''
    $('login-error').textContent = message
  }

  async function signIn() {
    $('login').hidden = true
    $('board').hidden = false
    $('logout').hidden = false
    $('tz').textContent = `Times in ${tz}`
    connect()
    await refresh()
  }

  $('login').addEventListener('submit', (e) => {
    e.preventDefault()
    sessionStorage.setItem(KEY, $('key').value.trim())
    $('key').value = ''
    void signIn()
  })
  $('logout').addEventListener('click', () => signOut())
  $('range').addEventListener('change', () => void refresh())
  window.addEventListener(
    'resize',
    () => chart && chart.setSize({ width: Math.max(280, $('chart').clientWidth), height: 260 }),
  )
  if (sessionStorage.getItem(KEY)) void signIn()
})()
