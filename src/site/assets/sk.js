/* SkinStack on-site snippet. Install:
 *   <script>window.skq=window.skq||function(){(skq.q=skq.q||[]).push(arguments)};skq('init',{merchant:'your-slug'})</script>
 *   <script async src="https://TRACKER/sk.js"></script>
 * then skq('conversion', {order_id: '1001', revenue: '59.90', currency: 'EUR'}) on the thank-you page.
 * First-party storage only; events go out with sendBeacon (fetch keepalive where that is missing). */
;(function (w, d) {
  'use strict'
  if (w.skq && w.skq.loaded) return
  var me = d.currentScript
  var base = me && me.src ? me.src.replace(/\/sk(\/[0-9a-f]+\/sk)?\.js(\?.*)?$/, '') : ''
  var cfg = { merchant: me && me.getAttribute('data-merchant'), param: '__SK_PARAM__' }
  var SESSION_IDLE_MS = 30 * 60 * 1000
  var KEY = '_sk'
  var memory = {}
  var started = false

  function read(name) {
    try {
      var v = w.localStorage.getItem(name)
      if (v) return JSON.parse(v)
    } catch (e) {}
    var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'))
    if (m) {
      try {
        return JSON.parse(decodeURIComponent(m[1]))
      } catch (e) {}
    }
    return memory[name] || null
  }

  // Storage can be missing or throw (in-app browsers, private modes): fall back to a first-party cookie, then memory.
  function write(name, value, maxAgeMs) {
    var s = JSON.stringify(value)
    memory[name] = value
    try {
      w.localStorage.setItem(name, s)
      return
    } catch (e) {}
    try {
      d.cookie =
        name +
        '=' +
        encodeURIComponent(s) +
        '; Max-Age=' +
        Math.floor(maxAgeMs / 1000) +
        '; Path=/; SameSite=Lax' +
        (location.protocol === 'https:' ? '; Secure' : '')
    } catch (e) {}
  }

  function randomId() {
    var a = new Uint8Array(16)
    ;(w.crypto || w.msCrypto).getRandomValues(a)
    var s = ''
    for (var i = 0; i < a.length; i++) s += (a[i] + 256).toString(16).slice(1)
    return s
  }

  function landingClickId() {
    try {
      return new URLSearchParams(location.search).get(cfg.param)
    } catch (e) {
      return null
    }
  }

  // The click id from the landing URL (a new one replaces the old and starts a new visit), else the stored one.
  function state() {
    var now = Date.now()
    var st = read(KEY)
    if (st && st.exp && st.exp < now) st = null
    var cid = landingClickId()
    if (cid && (!st || st.cid !== cid)) st = { cid: cid, exp: now + 30 * 86400000, sid: null, seen: 0 }
    if (!st) return null
    var fresh = !st.sid || now - st.seen > SESSION_IDLE_MS
    if (fresh) st.sid = randomId()
    st.seen = now
    write(KEY, st, st.exp - now)
    return { st: st, fresh: fresh }
  }

  function url(kind) {
    return base + '/v1/events/' + kind
  }

  // text/plain keeps these CORS-simple: no preflight, and the server parses the JSON itself.
  function send(kind, body, onReply) {
    var payload = JSON.stringify(body)
    if (!onReply && w.navigator.sendBeacon) {
      try {
        if (w.navigator.sendBeacon(url(kind), new Blob([payload], { type: 'text/plain' }))) return
      } catch (e) {}
    }
    if (!w.fetch) return
    w.fetch(url(kind), {
      method: 'POST',
      body: payload,
      keepalive: true,
      mode: 'cors',
      credentials: 'omit',
      headers: { 'content-type': 'text/plain' },
    })
      .then(function (r) {
        return r.ok ? r.json() : null
      })
      .then(function (reply) {
        if (reply && onReply) onReply(reply)
      })
      .catch(function () {})
  }

  function common(s) {
    return {
      merchant: cfg.merchant,
      session_id: s.st.sid,
      click_id: s.st.cid,
      url: location.href.slice(0, 2048),
      referrer: d.referrer ? d.referrer.slice(0, 2048) : null,
    }
  }

  function start() {
    if (started || !cfg.merchant) return
    var s = state()
    if (!s) return
    started = true
    if (s.fresh)
      // The server knows the click's program and so its window: keep the id exactly as long as it can earn.
      send('session', common(s), function (reply) {
        if (!reply.click_expires_at) return
        var st = read(KEY)
        if (!st || st.cid !== s.st.cid) return
        st.exp = Date.parse(reply.click_expires_at)
        write(KEY, st, st.exp - Date.now())
      })
    send('pageview', common(s))
    // The end of a visit tells the server how long it lasted.
    w.addEventListener('pagehide', function () {
      var st = read(KEY)
      if (st && st.sid === s.st.sid) send('session', common({ st: st }))
    })
  }

  var api = function (cmd, arg) {
    if (cmd === 'init') {
      if (arg && arg.merchant) cfg.merchant = String(arg.merchant)
      if (arg && arg.param) cfg.param = String(arg.param)
      start()
    } else if (cmd === 'conversion') {
      var st = read(KEY)
      if (!st || !cfg.merchant || !arg || arg.order_id == null) return
      var body = common({ st: st })
      body.order_id = String(arg.order_id)
      // As written by the page: "59.90" stays "59.90"; a number is sent as its shortest decimal, never rounded here.
      body.revenue = arg.revenue == null ? null : String(arg.revenue)
      body.currency = arg.currency ? String(arg.currency).toUpperCase() : null
      send('conversion', body, function () {})
    }
  }
  api.loaded = true
  api.v = '__SK_VERSION__'
  var queued = (w.skq && w.skq.q) || []
  w.skq = api
  for (var i = 0; i < queued.length; i++) api.apply(null, queued[i])
  start()
})(window, document)
