#!/usr/bin/env bash
# Snippet events through the compiled binary: wrk POSTs pageviews (registered origin, a genuine click id, 500
# sessions) for DUR seconds at CONC connections, the server pinned to core 0 and wrk to core 1; then SIGTERM, and
# every 202 the clients saw must be a row in site_events, and every pageview counted in its session. (wrk does not
# count the requests in flight when it stops, up to one per connection; the server still answers and stores them.)
# Usage: bash bench/site-events.sh            (DUR=10 CONC=32; needs dist/skinstack, wrk, Postgres on 127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x dist/skinstack ] || npx bun run build >/dev/null
DB=skinstack_bench_site_$$
WORK=$(mktemp -d)
PSQL="psql -h 127.0.0.1 -U postgres -d $DB -Atq"
createdb -h 127.0.0.1 -U postgres "$DB"
trap 'dropdb -h 127.0.0.1 -U postgres --force "$DB" 2>/dev/null; rm -rf "$WORK"' EXIT
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB LOG_LEVEL=warn PORT=${PORT:-3977} \
  CLICK_ID_KEYS="b1:$(printf '11%.0s' {1..32})" IP_HASH_SALT=$(printf '22%.0s' {1..16}) \
  MASTER_KEY=$(printf '33%.0s' {1..32}) CLICK_JOURNAL_DIR=$WORK/journal RATE_LIMIT_WEBHOOKS_PER_MINUTE=0
UA='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
dist/skinstack migrate >/dev/null
dist/skinstack seed >/dev/null
$PSQL -c "insert into site_origins (merchant_id, origin) select id, 'https://shop.example' from merchants where slug = 'glow-labs'"
taskset -c 0 dist/skinstack serve --no-migrate >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "localhost:$PORT/healthz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -s -o /dev/null -w '%{redirect_url}' -A "$UA" "localhost:$PORT/l/glow-serum" | sed 's/.*sk_cid=\([^&#]*\).*/\1/')
sleep 0.2
cat >"$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.headers["Origin"] = "https://shop.example"
wrk.headers["User-Agent"] = "$UA"
n = 0
request = function()
  n = n + 1
  local body = '{"merchant":"glow-labs","session_id":"bench' .. (n % 500) .. 'session","click_id":"$TOKEN","url":"https://shop.example/p/' .. n .. '"}'
  return wrk.format(nil, "/v1/events/pageview", nil, body)
end
LUA
taskset -c 1 wrk -t1 -c"${CONC:-32}" -d"${DUR:-10}s" --latency -s "$WORK/post.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk.out"
kill -TERM $PID
wait $PID || true
SENT=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
BAD=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
STORED=$($PSQL -c 'select count(*) from site_events')
FOLDED=$($PSQL -c 'select coalesce(sum(pageviews), 0) from site_sessions')
VALID=$($PSQL -c "select count(*) from site_events where click_status = 'valid'")
echo "sent $SENT (non-2xx: ${BAD:-0}), stored $STORED, pageviews in sessions $FOLDED, valid click id $VALID"
C=${CONC:-32}
[ "${BAD:-0}" = 0 ] && [ "$STORED" -ge "$SENT" ] && [ $((STORED - SENT)) -le "$C" ] &&
  [ "$STORED" = "$FOLDED" ] && [ "$STORED" = "$VALID" ]
