#!/usr/bin/env bash
# npm test's last step: vitest, with the integration lab in private mount, network and PID namespaces.
# There its listeners, processes and /proc are its own, so nothing else on this machine (another nginx,
# anything on loopback) can change a verdict, and every process it started dies with it. The packages it
# needs are installed first, outside: the lab's network has only its own loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/lab-packages.mjs
# What badgateway keeps between runs (the kept config reads) goes to a folder of this run, not the runner's home.
XDG_STATE_HOME=$(mktemp -d "${TMPDIR:-/tmp}/bgw-test-state-XXXXXX")
export XDG_STATE_HOME
trap 'rm -rf -- "$XDG_STATE_HOME"' EXIT
if [ "$(id -u)" != 0 ] || ! unshare --mount --net --pid --fork --mount-proc true 2>/dev/null; then
  echo "badgateway tests: not root or no namespaces here; the integration lab shares this machine's network and processes" >&2
  npx vitest run "$@"
  exit
fi
# bash is the namespace's first process: it reaps what daemons leave behind and passes Ctrl-C on to vitest.
unshare --mount --net --pid --fork --mount-proc --kill-child -- bash -c '
  set -u
  ip link set lo up
  npx vitest run "$@" &
  vitest=$!
  trap "kill -INT $vitest 2>/dev/null" INT
  trap "kill -TERM $vitest 2>/dev/null" TERM HUP
  status=0
  while :; do
    wait "$vitest" && status=0 || status=$?
    kill -0 "$vitest" 2>/dev/null || break
  done
  exit "$status"
' lab "$@"
