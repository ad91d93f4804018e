#!/usr/bin/env bash
# Load test of the tasks server with wrk (Debian's package) on loopback: the API trigger
# (POST /v1/automation/invoke/<key>) and a signed webhook (POST /api/hooks/<path>) queue runs; the runner is not
# counted (the server runs with --no-scheduler, so runs stay queued). Prints requests/s and latency percentiles per
# endpoint, checks that every 202 has its run row, and samples the server's RSS over the whole run.
#
#   swift build -c release --product kernel-tasks-server && Tests/Benchmarks/tasks_server_load.sh
#
# Environment: KERNEL_TASKS_SERVER (the binary; default .build/release/kernel-tasks-server), DURATION (seconds per
# endpoint, default 30: 60 s in all), CONNECTIONS (default 16), THREADS (default 2).
# Targets (issue 15): >= 2,000 requests/s and p99 <= 10 ms per endpoint, no request lost, memory flat.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${KERNEL_TASKS_SERVER:-.build/release/kernel-tasks-server}
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN is missing: swift build -c release --product kernel-tasks-server" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/home/tasks" "$WORK/project/.git"
echo "ref: refs/heads/main" > "$WORK/project/.git/HEAD"
cat > "$WORK/home/tasks/load.md" <<'MD'
---
triggers:
  - type: api
    rateLimit: 100000000/s
  - type: webhook
    path: load/hook
    secret: ${LOAD_SECRET}
    rateLimit: 100000000/s
overlap: allow
---
Load test {{n}}.
MD
COMMON=(--home "$WORK/home" --project "$WORK/project")
TOKEN=$("$BIN" tasks token create --name load --scope manage "${COMMON[@]}" 2>/dev/null)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOAD_SECRET=load-secret "$BIN" tasks serve --listen "127.0.0.1:$PORT" --no-scheduler "${COMMON[@]}" 2> "$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
KEY=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/tasks" |
      python3 -c 'import json,sys; t=json.load(sys.stdin)["tasks"][0]; print(t["triggers"][0]["config"]["invokeKey"])')
BODY='{"n": 1}'
SIG=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"load-secret", sys.argv[1].encode(), hashlib.sha256).hexdigest())' "$BODY")

# A wrk script per endpoint: POST with the body and headers; counts 202s per thread and reports the total.
lua() {  # $1 headers (lua table entries)
cat <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
$1
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) accepted = 0; other = 0 end
function response(status, headers, body) if status == 202 then accepted = accepted + 1 else other = other + 1 end end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
  io.write(string.format("ACCEPTED %d\nOTHER %d\nP50 %.3f\nP90 %.3f\nP99 %.3f\nRPS %.1f\n", a, o,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
LUA
}
lua "wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" > "$WORK/invoke.lua"
lua "wrk.headers[\"X-Hub-Signature-256\"] = \"sha256=$SIG\"" > "$WORK/hook.lua"

rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
: > "$WORK/rss"
( while kill -0 "$SERVER_PID" 2>/dev/null; do echo "$(date +%s) $(rss)" >> "$WORK/rss"; sleep 2; done ) &
SAMPLER=$!

# Warm-up (not counted), then each endpoint for DURATION seconds.
wrk -t1 -c4 -d2s -s "$WORK/invoke.lua" "http://127.0.0.1:$PORT/v1/automation/invoke/$KEY" > /dev/null
WARM=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from task_run").fetchone()[0])' "$WORK/home/plugins/kernel.sqlite")
RSS_START=$(rss)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/invoke.lua" "http://127.0.0.1:$PORT/v1/automation/invoke/$KEY" > "$WORK/invoke.out"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/hook.lua" "http://127.0.0.1:$PORT/api/hooks/load/hook" > "$WORK/hook.out"
RSS_END=$(rss)
kill "$SAMPLER" 2>/dev/null || true
ROWS=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from task_run").fetchone()[0])' "$WORK/home/plugins/kernel.sqlite")

field() { awk -v k="$1" '$1 == k {print $2}' "$2"; }
ok=0
printf '%-8s %10s %9s %9s %9s %10s %8s\n' endpoint "req/s" "p50 ms" "p90 ms" "p99 ms" accepted other
for e in invoke hook; do
  out="$WORK/$e.out"
  printf '%-8s %10s %9s %9s %9s %10s %8s\n' "$e" "$(field RPS "$out")" "$(field P50 "$out")" "$(field P90 "$out")" "$(field P99 "$out")" \
    "$(field ACCEPTED "$out")" "$(field OTHER "$out")"
  python3 -c 'import sys; rps, p99 = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if rps >= 2000 and p99 <= 10 else 1)' \
    "$(field RPS "$out")" "$(field P99 "$out")" || ok=1
done
ACCEPTED=$(( $(field ACCEPTED "$WORK/invoke.out") + $(field ACCEPTED "$WORK/hook.out") ))
NEW_ROWS=$(( ROWS - WARM ))
echo "202 responses: $ACCEPTED; run rows queued meanwhile: $NEW_ROWS ($([ "$ACCEPTED" -eq "$NEW_ROWS" ] && echo 'none lost' || echo 'MISMATCH'))"
[ "$ACCEPTED" -eq "$NEW_ROWS" ] || ok=1
python3 - "$WORK/rss" "$RSS_START" "$RSS_END" <<'PY'
import sys
samples = [int(l.split()[1]) for l in open(sys.argv[1]) if len(l.split()) == 2]
start, end = int(sys.argv[2]), int(sys.argv[3])
print(f"RSS over the run: start {start / 1024:.1f} MiB, end {end / 1024:.1f} MiB, max {max(samples) / 1024:.1f} MiB "
      f"(end/start {end / start:.2f}x, {len(samples)} samples)")
PY
echo "targets: >= 2000 req/s and p99 <= 10 ms per endpoint, none lost: $([ $ok -eq 0 ] && echo met || echo MISSED)"
exit $ok
