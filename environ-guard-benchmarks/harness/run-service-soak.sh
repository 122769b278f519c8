#!/usr/bin/env bash
# Soak of the host monitor as a service: the distribution's launcher (bin/environ-guard, with the systemd unit's JVM
# options) runs the fanotify host source for MINUTES minutes on the host's normal background, while this script
#   - once a second starts its own `cat` of its own target's /proc/PID/environ (a bounded synthetic reader),
#   - every 5 seconds scrapes http://127.0.0.1:PORT/metrics over loopback and samples the monitor's RSS.
# At the end it stops the monitor with SIGTERM and reports: RSS, heap used, heap live after GC, live threads and
# open files over the first and the last ten minutes (or thirds, for runs under 30 minutes), and whether every
# synthetic read was alerted. Needs root (fanotify). Everything it starts it stops; it touches no other process
# (ignore marks only within its own process tree). Output: environ-guard-benchmarks/target/soak/.
#   bash environ-guard-benchmarks/harness/run-service-soak.sh [MINUTES]        (default 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${1:-60}
ROOT=$PWD
OUT=$ROOT/environ-guard-benchmarks/target/soak
DIST=$(ls "$ROOT"/samples/cli/target/environ-guard-*-dist.tar.gz 2>/dev/null | head -1 || true)
if [ -z "$DIST" ]; then
  mvn -B -ntp -q -pl samples/cli -am package -DskipTests
  DIST=$(ls "$ROOT"/samples/cli/target/environ-guard-*-dist.tar.gz | head -1)
fi
rm -rf "$OUT" && mkdir -p "$OUT"
tar -xzf "$DIST" -C "$OUT"
LAUNCHER=$OUT/environ-guard/bin/environ-guard

monitor=""; target=""
cleanup() {
  [ -n "$target" ] && kill "$target" 2>/dev/null || true
  [ -n "$monitor" ] && kill "$monitor" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

# The unit's JVM options, and ignore marks only on files of this script's own processes (a shared machine).
export JAVA_OPTS="-Djna.tmpdir=$OUT -Xmx256m -XX:+ExitOnOutOfMemoryError -Denvironguard.source.fanotify.ignore-marks-within=$$"
"$LAUNCHER" --format jsonl --metrics-address 127.0.0.1:0 --ready-file "$OUT/ready" >"$OUT/alerts.jsonl" 2>"$OUT/stderr.log" &
monitor=$!
for _ in $(seq 1 600); do [ -f "$OUT/ready" ] && break; sleep 0.1; done
[ -f "$OUT/ready" ] || { echo "the monitor did not get ready:"; cat "$OUT/stderr.log"; exit 1; }
jvm=$(cat "$OUT/ready")   # the JVM's pid (the launcher execs java, so it is $monitor)
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$OUT/stderr.log" | head -1)
env -i /usr/bin/sleep $((MINUTES * 60 + 120)) &
target=$!
echo "soak: $MINUTES min from $(date -u +%FT%TZ); monitor pid $jvm, $url, target $target; load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "t_s,rss_kb,heap_used_bytes,heap_live_after_gc_bytes,threads,open_files,alerts_total,accesses_total,kernel_events" > "$OUT/samples.csv"
: > "$OUT/readers.txt"
start=$(date +%s)
end=$((start + MINUTES * 60))
tick=0
while [ "$(date +%s)" -lt "$end" ]; do
  /usr/bin/cat "/proc/$target/environ" >/dev/null &
  echo "$!" >> "$OUT/readers.txt"
  wait $! || true
  if [ $((tick % 5)) -eq 0 ]; then
    m=$(curl -s --max-time 4 "$url/metrics" || true)
    val() { printf '%s\n' "$m" | awk -v k="$1" 'index($0, k) == 1 { s += $NF } END { printf "%.0f", s }'; }
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$jvm/status")
    echo "$(( $(date +%s) - start )),$rss,$(val 'jvm_memory_used_bytes{area="heap"'),$(val 'jvm_gc_live_data_size_bytes'),$(val 'jvm_threads_live_threads'),$(val 'process_files_open_files'),$(val 'environguard_alerts_total'),$(val 'environguard_accesses_total'),$(val 'environguard_kernel_events_read_total')" >> "$OUT/samples.csv"
  fi
  tick=$((tick + 1))
  sleep 1
done
sleep 5
kill -TERM "$monitor"
wait "$monitor" && status=0 || status=$?
monitor=""
echo "monitor exit status $status; $(tail -1 "$OUT/stderr.log")"

python3 - "$OUT" "$target" "$MINUTES" <<'PY'
import csv, json, statistics, sys
out, target, minutes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [{k: float(v or 0) for k, v in r.items()} for r in csv.DictReader(open(out + '/samples.csv'))]
span = 600 if minutes >= 30 else minutes * 60 / 3
first = [r for r in rows if r['t_s'] < span]
last = [r for r in rows if r['t_s'] >= rows[-1]['t_s'] - span]
def show(name, key, scale, unit):
    f, l = [r[key] / scale for r in first], [r[key] / scale for r in last]
    print(f"  {name:28s} first: mean {statistics.mean(f):8.1f} max {max(f):8.1f}   last: mean {statistics.mean(l):8.1f} max {max(l):8.1f} {unit}")
print(f"samples: {len(rows)}; windows: the first and the last {span / 60:.0f} min")
show('RSS', 'rss_kb', 1024, 'MiB')
show('heap used', 'heap_used_bytes', 1 << 20, 'MiB')
show('heap live after GC', 'heap_live_after_gc_bytes', 1 << 20, 'MiB')
show('live threads', 'threads', 1, '')
show('open files', 'open_files', 1, '')
# Per window: the heap's lowest value is its floor after a collection (live data); its highest, the sawtooth's top.
step = 600 if minutes >= 30 else max(60, minutes * 20)
for lo in range(0, int(rows[-1]['t_s']) + 1, int(step)):
    w = [r for r in rows if lo <= r['t_s'] < lo + step and r['threads'] > 0]
    if w:
        print(f"  {lo // 60:3.0f}-{(lo + step) // 60:3.0f} min: RSS {min(r['rss_kb'] for r in w) / 1024:.0f}-{max(r['rss_kb'] for r in w) / 1024:.0f} MiB,"
              f" heap {min(r['heap_used_bytes'] for r in w) / 2**20:.0f}-{max(r['heap_used_bytes'] for r in w) / 2**20:.0f} MiB,"
              f" threads {min(r['threads'] for r in w):.0f}-{max(r['threads'] for r in w):.0f},"
              f" open files {min(r['open_files'] for r in w):.0f}-{max(r['open_files'] for r in w):.0f}")
print(f"  alerts {rows[-1]['alerts_total']:.0f}, accesses {rows[-1]['accesses_total']:.0f}, kernel events {rows[-1]['kernel_events']:.0f} (last scrape)")
readers = [int(l) for l in open(out + '/readers.txt') if l.strip()]
alerted = set()
for line in open(out + '/alerts.jsonl'):
    try:
        a = json.loads(line)
    except ValueError:
        continue
    if (a.get('target') or {}).get('pid') == target and (a.get('reader') or {}).get('pid') is not None:
        alerted.add(a['reader']['pid'])
missing = [p for p in readers if p not in alerted]
print(f"synthetic reads: {len(readers)}, alerted: {len(readers) - len(missing)}, missing: {missing[:20]}")
PY
