#!/usr/bin/env bash
# Runs the Dockerfile's steps without a Docker engine: build stage in a copy of the build context,
# then the runtime stage as "only the binary, a non-root user, an empty working dir", checked by HEALTHCHECK.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/skinstack-docker-XXXXXX)"
chmod 755 "$work"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "== build stage (node:20-bookworm-slim): COPY . ; npm ci ; bun run build"
mkdir -p "$work/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | grep -zv -E '^(node_modules|dist|data|bench/results)/' \
  | xargs -0 -I{} cp --parents {} "$work/src/")
(cd "$work/src" && npm ci --no-audit --no-fund --loglevel=error && npx bun run build && ./dist/skinstack version)

echo "== runtime stage: the binary alone, non-root, HEALTHCHECK"
mkdir -p "$work/rootfs/usr/local/bin" "$work/rootfs/app/data"
cp "$work/src/dist/skinstack" "$work/rootfs/usr/local/bin/skinstack"
bin="$work/rootfs/usr/local/bin/skinstack"
ls -l "$bin"
run_as=()
if [ "$(id -u)" = 0 ]; then
  chown -R nobody "$work/rootfs/app"
  # setpriv execs in place (runuser forks and turns our SIGTERM into its own exit 143).
  run_as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi
port=$((20000 + RANDOM % 20000))
cd "$work/rootfs/app"
HOST=127.0.0.1 PORT=$port DATA_DIR="$work/rootfs/app/data" LOG_LEVEL=warn "${run_as[@]}" "$bin" serve &
pid=$!
for _ in $(seq 1 120); do
  if PORT=$port "$bin" healthcheck >/dev/null 2>&1; then break; fi
  sleep 0.5
done
PORT=$port "$bin" healthcheck
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/l/glow-serum")
[ "$code" = 302 ] || { echo "demo link answered $code, expected 302"; exit 1; }
kill -TERM "$pid"
wait "$pid" && status=0 || status=$?
pid=""
[ "$status" = 0 ] || { echo "serve exited $status after SIGTERM, expected 0"; exit 1; }
echo "docker steps OK: healthcheck passed as non-root, demo redirect 302, SIGTERM exit 0"
