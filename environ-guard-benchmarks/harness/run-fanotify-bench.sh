#!/usr/bin/env bash
# The fanotify benchmark, in one command (as root, from the repository root or anywhere):
#
#   bash environ-guard-benchmarks/harness/run-fanotify-bench.sh [--rounds=7] [--opens=50000] [--ps-runs=30]
#        [--burst-events=200000] [--burst-children=800] [--latency-samples=500] [--latency-gap-us=2000]
#        [--latency-hold-ms=50] [--sweep-targets=1000] [--listener-jvm-arg=-XX:...]... [--out=FILE]
#
# Builds what is missing (the benchmarks jar with Maven, the C reference listener and load generator with
# gcc -O2), runs one warm-up round and N measured rounds, prints the results table and writes the
# machine-readable results (default environ-guard-benchmarks/target/fanotify-bench.json). With the defaults
# it takes about 3 to 5 minutes on 2 vCPUs. Set REBUILD=1 to rebuild the jar even if it exists.
#
# It touches only the processes it starts: the two listeners, the load generator and the load generator's
# children, which die with it (PR_SET_PDEATHSIG) and are reaped before it exits.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
module="$(dirname "$here")"
repo="$(dirname "$module")"
bin="$module/target/harness"
jar="$module/target/environ-guard-benchmarks.jar"

if [[ "$(id -u)" != 0 ]]; then
    echo "run-fanotify-bench: needs root (fanotify filesystem marks need CAP_SYS_ADMIN)" >&2
    exit 2
fi
for tool in gcc java; do
    command -v "$tool" >/dev/null || { echo "run-fanotify-bench: $tool not found" >&2; exit 2; }
done

if [[ ! -f "$jar" || "${REBUILD:-0}" == 1 ]]; then
    echo "building $jar"
    (cd "$repo" && mvn -B -ntp -q -pl environ-guard-benchmarks -am package -DskipTests)
fi
mkdir -p "$bin"
for prog in reflistener loadgen; do
    if [[ ! -x "$bin/$prog" || "$here/$prog.c" -nt "$bin/$prog" ]]; then
        gcc -O2 -Wall -Wextra -Werror -o "$bin/$prog" "$here/$prog.c"
    fi
done

echo "uptime before: $(uptime)"
java -cp "$jar" io.environguard.benchmarks.fanotify.FanotifyBench \
    --bin="$bin" --out="$module/target/fanotify-bench.json" --log="$module/target/fanotify-bench.log" "$@" &
bench=$!
# The Java harness closes its children on every path it controls; if this script is interrupted, end the
# harness (only its pid): its listeners and load generator exit when their stdin closes.
trap 'kill "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true; exit 130' INT TERM
status=0
wait "$bench" || status=$?
trap - INT TERM
echo "uptime after: $(uptime)"
exit "$status"
