#!/usr/bin/env bash
# The cost of the Micrometer binder on the pipeline: PipelineBenchmark.alertingRead with metrics=false and
# metrics=true, in ROUNDS rounds whose order alternates (false first, then true first), one fork per value per
# round, so that a machine whose speed drifts (a shared VM) biases neither side. Prints each round's two scores,
# their ratio, and the median ratio (true / false: 0.95 means 5% fewer alerts/s with the binder). Also the CPU time of
# the producing thread per alert (median of the measured iterations), which a loaded machine disturbs far less than
# throughput: the ratio of those (false / true) is the throughput the binder leaves on one core.
#   bash environ-guard-benchmarks/harness/run-pipeline-metrics-bench.sh [ROUNDS]   (default 8; about 30 s a round)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-8}
JAR=environ-guard-benchmarks/target/environ-guard-benchmarks.jar
[ -f "$JAR" ] || mvn -B -ntp -q -pl environ-guard-benchmarks -am package -DskipTests
OUT=environ-guard-benchmarks/target/pipeline-metrics
mkdir -p "$OUT"
echo "start: $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
ratios=()
cpuratios=()
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then order="false,true"; else order="true,false"; fi
  # The lock only serialises JMH runs of one machine; other jobs load a shared VM anyway, and the ratio is per round.
  java -Djmh.ignoreLock=true -jar "$JAR" 'PipelineBenchmark.alertingRead' -p metrics="$order" -p plugin=none -p sink=noop -f 1 -wi 3 -w 2 -i 5 -r 2 \
      -rf json -rff "$OUT/round-$r.json" > "$OUT/round-$r.txt" 2>&1
  line=$(python3 - "$OUT/round-$r.json" "$OUT/round-$r.txt" <<'PY'
import json, re, statistics, sys
s = {r['params']['metrics']: r['primaryMetric']['score'] for r in json.load(open(sys.argv[1]))}
cpu, current = {'false': [], 'true': []}, None
for line in open(sys.argv[2]):
    m = re.match(r'# Parameters: \(metrics = (\w+)[,)]', line)
    if m:
        current = m.group(1)
    m = re.match(r'cpu-per-op ([0-9.]+)', line)
    if m and current:
        cpu[current].append(float(m.group(1)))
cf, ct = statistics.median(cpu['false']), statistics.median(cpu['true'])
print(f"{s['false']:.0f} {s['true']:.0f} {s['true'] / s['false']:.3f} {cf:.0f} {ct:.0f} {cf / ct:.3f}")
PY
)
  set -- $line
  echo "round $r ($order): without $1 alerts/s, with $2 alerts/s, ratio $3; CPU per alert without $4 ns, with $5 ns," \
       "ratio $6; load $(cut -d' ' -f1 /proc/loadavg)"
  cpuratios+=("$6")
  ratios+=("$3")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
  printf "median ratio with/without over %d rounds: %.3f (min %.3f, max %.3f)\n", NR, m, a[1], a[NR] }'
printf '%s\n' "${cpuratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
  printf "median CPU-per-alert ratio without/with over %d rounds: %.3f (min %.3f, max %.3f)\n", NR, m, a[1], a[NR] }'
echo "end: $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
