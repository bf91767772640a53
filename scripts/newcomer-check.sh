#!/usr/bin/env bash
# What a new user does, from the README: a fresh clone into a temporary directory, `npm install && npm start`,
# the five-minute tour's curl lines against the started server, then `npm test`.
#   scripts/newcomer-check.sh            everything, a cold `npm install` included
#   scripts/newcomer-check.sh --no-test  without `npm test` (CI runs the suite on the same commit already)
# NEWCOMER_REUSE_MODULES=1 copies this checkout's node_modules into the clone before `npm install`
# (CI: saves compiling better-sqlite3 a second time; `npm install` still runs and must be a no-op).
# The server listens on a free port instead of 8000 so the check never collides with a running server;
# the curl lines are taken from README.md, with only that port changed.
set -euo pipefail
run_tests=1
[ "${1:-}" = "--no-test" ] && run_tests=0
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then kill -TERM -- "-$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "newcomer-check: $*"; }

step "git clone (fresh, into $work)"
git clone -q "$repo" "$work/master-orchestrator"
cd "$work/master-orchestrator"
git checkout -q "$(git -C "$repo" rev-parse HEAD)"   # the commit under test, not the remote's default branch
[ "${NEWCOMER_REUSE_MODULES:-}" = 1 ] && [ -d "$repo/node_modules" ] && cp -a "$repo/node_modules" ./node_modules

port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
step "npm install && npm start   (PORT=$port)"
install_start=$(date +%s)
npm install --no-audit --no-fund --prefer-offline 2>&1 | tee "$work/install.log" | tail -3
if grep -q EBADENGINE "$work/install.log"; then echo "newcomer-check: npm install printed EBADENGINE warnings" >&2; exit 1; fi
step "npm install took $(( $(date +%s) - install_start )) s"
# Its own process group, so stopping it reaches npm, the shell it starts and the server alike.
PORT="$port" setsid npm start > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "Server listening" "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "newcomer-check: npm start exited" >&2; exit 1; }
  sleep 0.2
done
grep -q "Server listening" "$work/server.log" || { cat "$work/server.log" >&2; echo "newcomer-check: no 'Server listening' within 120 s" >&2; exit 1; }

# The tour's curl lines: the code block under "From clone to a workflow run in five minutes",
# continuation lines joined, comments dropped, 8000 replaced by the chosen port.
tour="$(awk '/^### From clone to a workflow run in five minutes/{f=1} f&&/^```bash/{c=1;next} c&&/^```/{exit} c' README.md \
  | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep '^curl ' | sed -e "s/localhost:8000/localhost:$port/g" -e 's/  *# .*$//')"
[ -n "$tour" ] || { echo "newcomer-check: no curl lines found in README.md's tour" >&2; exit 1; }
count=0
while IFS= read -r line; do
  count=$((count + 1))
  step "tour $count: $line"
  # -f: an HTTP error fails the line, as it would confuse a newcomer.
  out="$(bash -o pipefail -c "${line/curl -s /curl -sSf }" 2>&1)" || { echo "$out" >&2; echo "newcomer-check: tour line $count failed" >&2; exit 1; }
  echo "  -> ${out:0:200}"
done <<< "$tour"

# Ctrl-C / SIGTERM, as a user stops it: npm reports the signal, the server must drain cleanly.
# npm may exit before the server it started has written its last lines: wait for the whole process group
# (npm, its shell, node) to be gone — at most 40 s, more than the 30 s drain grace — before reading the log.
group="$server_pid"
kill -TERM -- "-$group"; wait "$server_pid" || true
server_pid=""
for _ in $(seq 1 400); do kill -0 -- "-$group" 2>/dev/null || break; sleep 0.1; done
if kill -0 -- "-$group" 2>/dev/null; then
  cat "$work/server.log" >&2; echo "newcomer-check: the server was still running 40 s after SIGTERM" >&2
  kill -KILL -- "-$group" 2>/dev/null || true; exit 1
fi
grep -q '"msg":"shutting down"' "$work/server.log" || { cat "$work/server.log" >&2; echo "newcomer-check: the server did not shut down on SIGTERM" >&2; exit 1; }
if grep -q 'shutdown failed' "$work/server.log"; then cat "$work/server.log" >&2; exit 1; fi
if [ "$run_tests" = 1 ]; then
  step "npm test"
  npm test
fi
step "passed"
