#!/usr/bin/env bash
# Size of the distribution and start-up of its launcher with no bundled sink linked and with the Kafka sink linked
# (ln -s ../sinks/kafka plugins/kafka): RUNS runs of `bin/environ-guard --list-keys` each, wall and CPU (user+sys)
# seconds, medians, with the load average. Optionally the same for an older tarball (e.g. one built before the sinks
# were bundled). Starts only the launcher it unpacked; needs no root. Output: environ-guard-benchmarks/target/dist-startup/.
#   bash environ-guard-benchmarks/harness/run-dist-startup-bench.sh [OLDER-TARBALL]      (RUNS=5 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RUNS=${RUNS:-5}
OUT=$ROOT/environ-guard-benchmarks/target/dist-startup
DIST=$(ls "$ROOT"/samples/cli/target/environ-guard-*-dist.tar.gz 2>/dev/null | head -1 || true)
if [ -z "$DIST" ]; then
  mvn -B -ntp -q -pl samples/cli -am package -DskipTests
  DIST=$(ls "$ROOT"/samples/cli/target/environ-guard-*-dist.tar.gz | head -1)
fi
rm -rf "$OUT" && mkdir -p "$OUT/now" "$OUT/older"
tar -xzf "$DIST" -C "$OUT/now"
echo "java: $(java -version 2>&1 | head -1); $(nproc) CPUs"
echo "tarball: $(stat -c %s "$DIST") bytes ($DIST)"
du -sb "$OUT/now/environ-guard/lib" "$OUT/now/environ-guard/sinks/"* | sed "s|$OUT/now/environ-guard/||"

median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
bench() {   # bench HOME LABEL
  local walls=() cpus=() t r u s
  TIMEFORMAT='%R %U %S'
  for _ in $(seq "$RUNS"); do
    t=$( { time "$1/bin/environ-guard" --list-keys >/dev/null 2>&1; } 2>&1 )
    read -r r u s <<<"$t"
    walls+=("$r"); cpus+=("$(echo "$u + $s" | bc)")
  done
  echo "$2 | wall ${walls[*]} | median wall $(median "${walls[@]}") s | median cpu $(median "${cpus[@]}") s | load $(cut -d' ' -f1-3 /proc/loadavg)"
}

HOME_NOW=$OUT/now/environ-guard
if [ $# -ge 1 ]; then
  tar -xzf "$1" -C "$OUT/older"
  echo "older tarball: $(stat -c %s "$1") bytes ($1)"
fi
trap 'rm -f "$HOME_NOW/plugins/kafka"' EXIT
for round in 1 2; do
  if [ $# -ge 1 ]; then bench "$OUT/older/environ-guard" "older, round $round"; fi
  bench "$HOME_NOW" "none linked, round $round"
  ln -sfn ../sinks/kafka "$HOME_NOW/plugins/kafka"
  bench "$HOME_NOW" "kafka linked, round $round"
  rm -f "$HOME_NOW/plugins/kafka"
done
