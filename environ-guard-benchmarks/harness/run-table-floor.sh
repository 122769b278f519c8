#!/usr/bin/env bash
# The floor of the process table's fork+exec cost (issue 11), with no Java in it: a loop of N /bin/true, alone and
# beside tablefloor.c in each MODE, in BLOCKS blocks (each block runs every mode once, in a shuffled order, and each
# mode's time is divided by the same block's time alone). Prints each block and, per mode, the median ratio [min ..
# max]. Root (perf side-band events of every CPU and the proc connector). Figures: BENCHMARKS.md, "The floor".
#
#   environ-guard-benchmarks/harness/run-table-floor.sh [N] [BLOCKS] [MODES]
#   e.g. run-table-floor.sh 5000 10 off,perf,gathercn,timercn,gatherboth,timerboth
set -euo pipefail
n=${1:-5000}
blocks=${2:-10}
modes=${3:-off,perf,gathercn,timercn,gatherboth,timerboth}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Wextra -Werror -o "$work/tablefloor" "$here/tablefloor.c"

loop() {
    local t0 t1
    t0=$(date +%s%N)
    sh -c "i=0; while [ \$i -lt $n ]; do /bin/true; i=\$((i+1)); done"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
}

leg() { # prints the loop's microseconds with MODE's listener beside it
    local mode=$1 pid micros
    if [ "$mode" = off ]; then
        loop
        return
    fi
    "$work/tablefloor" "$mode" 3600 2>>"$work/listener.log" &
    pid=$!
    sleep 0.3
    micros=$(loop) || true
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$micros"
}

IFS=, read -r -a list <<<"$modes"
echo "tablefloor: $n x /bin/true, $blocks blocks, modes ${list[*]}; load $(cut -d' ' -f1-3 /proc/loadavg)"
loop >/dev/null # the page cache and the shell
for ((b = 0; b < blocks; b++)); do
    declare -A t=()
    for mode in $(printf '%s\n' "${list[@]}" | shuf); do
        t[$mode]=$(leg "$mode")
    done
    line="block $b:"
    for mode in "${list[@]}"; do
        line+=" $mode=$(awk -v a="${t[$mode]}" 'BEGIN { printf "%.2fs", a / 1e6 }')"
        echo "$mode $(awk -v a="${t[$mode]}" -v o="${t[off]}" 'BEGIN { printf "%.4f", a / o }')" >>"$work/ratios"
    done
    echo "$line"
    unset t
done
for mode in "${list[@]}"; do
    grep "^$mode " "$work/ratios" | cut -d' ' -f2 | sort -n | awk -v m="$mode" '{ v[NR] = $1 }
        END { med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "%s: median %.3f [%.3f .. %.3f] over %d blocks\n", m, med, v[1], v[NR], NR }'
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
