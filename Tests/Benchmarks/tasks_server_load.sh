#!/usr/bin/env bash
# Load test of the tasks server with wrk (Debian's package) on loopback: the API trigger
# (POST /v1/automation/invoke/<key>) and a signed webhook (POST /api/hooks/<path>) queue runs; the runner is not
# counted (the server runs with --no-scheduler, so runs stay queued). Prints requests/s and latency percentiles per
# endpoint, checks that every 202 has its run row (each accepted run id is looked up in the store; the rows beyond
# them are the requests wrk still had in flight when it stopped, at most one per connection), and samples the
# server's RSS over the whole run. The blueprint lifts its triggers' rate limits (`rateLimit: 100000000/s`; the
# default is 60/min).
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
# The invoke endpoint takes {"prompt", "params"} only (400 for anything else); a webhook's body is its parameters.
INVOKE_BODY='{"prompt": "load", "params": {"n": 1}}'
HOOK_BODY='{"n": 1}'
SIG=$(python3 -c 'import hmac,hashlib,sys; print(hmac.new(b"load-secret", sys.argv[1].encode(), hashlib.sha256).hexdigest())' "$HOOK_BODY")

# A wrk script per endpoint: POST with the body and headers; each thread writes the run id of every 202 to its own
# file (WORK/<name>.<thread>.ids) and counts the other answers by status; done() reports the totals.
lua() {  # $1 name, $2 body, $3 headers (lua table entries)
cat <<LUA
wrk.method = "POST"
wrk.body = '$2'
wrk.headers["Content-Type"] = "application/json"
$3
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  accepted = 0; other = 0; statuses = ""
  ids = io.open("$WORK/$1." .. tid .. ".ids", "w")
  ids:setvbuf("line")  -- wrk does not close a thread's files at exit: nothing may stay buffered
  seen = {}
end
function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
    ids:write(body:match('"runId":"([^"]+)"') or "?", "\\n")
  else
    other = other + 1
    if not seen[status] then seen[status] = true; statuses = statuses .. " " .. status end
  end
end
function done(summary, latency, requests)
  local a, o, s = 0, 0, ""
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other"); s = s .. t:get("statuses") end
  io.write(string.format("ACCEPTED %d\\nOTHER %d\\nSTATUSES%s\\nP50 %.3f\\nP90 %.3f\\nP99 %.3f\\nRPS %.1f\\n", a, o, s,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
LUA
}
lua invoke "$INVOKE_BODY" "wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" > "$WORK/invoke.lua"
lua hook "$HOOK_BODY" "wrk.headers[\"X-Hub-Signature-256\"] = \"sha256=$SIG\"" > "$WORK/hook.lua"
lua warm "$INVOKE_BODY" "wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" > "$WORK/warm.lua"

rss() { awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
# RSS splits into anonymous memory (the heap, SQLite's page caches included: what the server keeps) and file pages
# (the executable's; a store read through a memory map would add its pages, growing with the file).
anon() { awk '/RssAnon/ {print $2}' "/proc/$SERVER_PID/status"; }
: > "$WORK/rss"
( while kill -0 "$SERVER_PID" 2>/dev/null; do echo "$(date +%s) $(rss) $(anon)" >> "$WORK/rss"; sleep 2; done ) &
SAMPLER=$!

# Warm-up (its accepted runs are checked too), then each endpoint for DURATION seconds.
wrk -t1 -c4 -d2s -s "$WORK/warm.lua" "http://127.0.0.1:$PORT/v1/automation/invoke/$KEY" > "$WORK/warm.out"
RSS_START=$(rss); ANON_START=$(anon)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/invoke.lua" "http://127.0.0.1:$PORT/v1/automation/invoke/$KEY" > "$WORK/invoke.out"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/hook.lua" "http://127.0.0.1:$PORT/api/hooks/load/hook" > "$WORK/hook.out"
RSS_END=$(rss); ANON_END=$(anon)
kill "$SAMPLER" 2>/dev/null || true
# SIGTERM: the server finishes what it accepted, writes its group-commit counts to its log and exits.
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=

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
for e in warm invoke hook; do
  if [ "$(field OTHER "$WORK/$e.out")" != 0 ]; then
    echo "$e: $(field OTHER "$WORK/$e.out") requests were not accepted (statuses:$(grep '^STATUSES' "$WORK/$e.out" | cut -c9-))"; ok=1
  fi
done
# Every 202's run id must have its row; rows beyond them can only be requests wrk had in flight when it stopped.
python3 - "$WORK" "$WORK/home/plugins/kernel.sqlite" $(( 4 + 2 * CONNECTIONS )) <<'PY' || ok=1
import glob, sqlite3, sys
work, db, in_flight = sys.argv[1], sys.argv[2], int(sys.argv[3])
ids = [l.strip() for f in sorted(glob.glob(work + "/*.ids")) for l in open(f) if l.strip()]
reported = sum(int(l.split()[1]) for e in ("warm", "invoke", "hook") for l in open(f"{work}/{e}.out") if l.startswith("ACCEPTED "))
rows = {r[0] for r in sqlite3.connect(db).execute("select id from task_run")}
missing = [i for i in ids if i not in rows]
extra = len(rows) - len(set(ids) & rows)
problems = []
if len(ids) != reported: problems.append(f"{reported} 202s counted but {len(ids)} run ids recorded")
if len(set(ids)) != len(ids): problems.append(f"{len(ids) - len(set(ids))} run ids answered twice")
if missing: problems.append(f"{len(missing)} accepted runs have no row (first: {missing[0]})")
if extra > in_flight: problems.append(f"{extra} rows nobody was answered for (more than the {in_flight} requests that can be in flight)")
print(f"202 responses: {len(ids)} (warm-up included), every one with its run row: {'yes' if not missing else 'NO'}; "
      f"rows of requests in flight when wrk stopped: {extra} (at most {in_flight})")
for p in problems: print("LOST: " + p)
sys.exit(1 if problems else 0)
PY
python3 - "$WORK/server.log" <<'PY'
import re, sys
stops = [l for l in open(sys.argv[1]) if " stopped " in l or l.rstrip().endswith(" stopped")]
m = dict(re.findall(r"(\w+)=(\d+)", stops[-1])) if stops else {}
if "commits" in m:
    print(f"group commit: {m['queued']} runs in {m['commits']} transactions "
          f"({int(m['queued']) / max(1, int(m['commits'])):.1f} per commit, largest {m['largestBatch']})")
PY
python3 - "$WORK/rss" "$RSS_START" "$RSS_END" "$ANON_START" "$ANON_END" "$WORK/home/plugins/kernel.sqlite" <<'PY'
import os, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 3]
start, end, astart, aend = (int(a) for a in sys.argv[2:6])
print(f"RSS over the run: start {start / 1024:.1f} MiB, end {end / 1024:.1f} MiB, max {max(int(r[1]) for r in rows) / 1024:.1f} MiB "
      f"(end/start {end / start:.2f}x, {len(rows)} samples); anonymous (heap) {astart / 1024:.1f} -> {aend / 1024:.1f} MiB "
      f"({aend / astart:.2f}x, max {max(int(r[2]) for r in rows) / 1024:.1f}); the rest is file pages "
      f"(the store file is {os.path.getsize(sys.argv[6]) / 2**20:.1f} MiB at the end)")
PY
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "targets: >= 2000 req/s and p99 <= 10 ms per endpoint, none lost: $([ $ok -eq 0 ] && echo met || echo MISSED)"
exit $ok
