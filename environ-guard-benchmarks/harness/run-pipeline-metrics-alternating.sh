#!/usr/bin/env bash
# The cost of the Micrometer binder on the pipeline, measured within one JVM: PipelineBenchmark.alertingRead with
# metrics=alternate attaches a fresh binder for every other 1-s iteration (off, on, on, off, ...), so that each pair of
# adjacent iterations compares the binder on and off with the same JIT, heap and machine load. Prints, per fork, each
# pair's alerts/s ratio (on / off: 0.95 means 5% fewer alerts/s with the binder) and CPU-per-alert ratio of the
# producing thread (off / on), then the median and quartiles over all pairs of all forks. SINK: noop (the sink's thread
# takes every alert: the goal's configuration) or held (the sink's queue stays full: the alerting thread alone, without
# the hand-off whose rate moves with the machine's load).
#   bash environ-guard-benchmarks/harness/run-pipeline-metrics-alternating.sh [FORKS] [PAIRS] [SINK]   (default 4 12 noop; about 35 s a fork; JAR=... to measure another build)
set -euo pipefail
cd "$(dirname "$0")/../.."
FORKS=${1:-4}
PAIRS=${2:-12}
SINK=${3:-noop}
JAR=${JAR:-environ-guard-benchmarks/target/environ-guard-benchmarks.jar}
[ -f "$JAR" ] || mvn -B -ntp -q -pl environ-guard-benchmarks -am package -DskipTests
OUT=environ-guard-benchmarks/target/pipeline-metrics-alternating-$SINK
rm -rf "$OUT" && mkdir -p "$OUT"
echo "sink $SINK; start: $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg), $(java -version 2>&1 | head -1)"
for f in $(seq 1 "$FORKS"); do
  # Four warm-up iterations (off, on, on, off): both sides compiled before the first measured pair.
  java -Djmh.ignoreLock=true -jar "$JAR" 'PipelineBenchmark.alertingRead' -p metrics=alternate -p plugin=none -p sink="$SINK" \
      -f 1 -wi 4 -w 1 -i $((2 * PAIRS)) -r 1 > "$OUT/fork-$f.txt" 2>&1
  python3 - "$OUT/fork-$f.txt" "$f" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import re, statistics, sys
rows = [m.groups() for m in (re.match(r'alternate binder=(on|off) ops-per-s ([0-9.]+) cpu-per-op ([0-9.]+)', l)
                             for l in open(sys.argv[1])) if m]
thr, cpu = [], []
for a, b in zip(rows[0::2], rows[1::2]):
    on, off = (a, b) if a[0] == 'on' else (b, a)
    assert on[0] == 'on' and off[0] == 'off', (a, b)
    thr.append(float(on[1]) / float(off[1]))
    cpu.append(float(off[2]) / float(on[2]))
offs = [float(r[1]) for r in rows if r[0] == 'off']
ons = [float(r[1]) for r in rows if r[0] == 'on']
print(f"fork {sys.argv[2]}: {len(thr)} pairs, alerts/s off {statistics.median(offs):.0f} on {statistics.median(ons):.0f} (medians);"
      f" pair ratios on/off {' '.join(f'{x:.2f}' for x in thr)}; median {statistics.median(thr):.3f};"
      f" CPU-per-alert off/on median {statistics.median(cpu):.3f}; load {sys.argv[3]}")
with open(sys.argv[1] + '.pairs', 'w') as out:
    for t, c in zip(thr, cpu):
        out.write(f"{t} {c}\n")
PY
done
cat "$OUT"/fork-*.txt.pairs | python3 -c "
import statistics, sys
t, c = zip(*[map(float, l.split()) for l in sys.stdin if l.strip()])
def q(v): v = sorted(v); k = statistics.quantiles(v, n=4); return f'{statistics.median(v):.3f} (quartiles {k[0]:.3f}-{k[2]:.3f}, min {v[0]:.3f}, max {v[-1]:.3f})'
print(f'over {len(t)} pairs: alerts/s ratio on/off {q(t)}; CPU-per-alert ratio off/on {q(c)}')"
echo "end: $(date -u +%FT%TZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
