#!/bin/sh
# Measures the targeted source guarding a JVM with 50 and 200 threads, as root and as nobody.
# Usage: environ-guard-benchmarks/run-targeted.sh [harness args, e.g. --threads 50,200 --reads 300 --idle 20s]
set -eu
cd "$(dirname "$0")/.."
mvn -B -ntp -q -pl environ-guard-benchmarks -am package -DskipTests
dir=$(mktemp -d /tmp/eg-bench.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp environ-guard-benchmarks/target/environ-guard-benchmarks.jar "$dir/"
mkdir "$dir/tmp" && chmod 755 "$dir" && chmod 777 "$dir/tmp" && chmod 644 "$dir/environ-guard-benchmarks.jar"
java=$(command -v java)
run() {
    "$@" "$java" -Djna.tmpdir="$dir/tmp" -Djava.io.tmpdir="$dir/tmp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
        -cp "$dir/environ-guard-benchmarks.jar" io.environguard.benchmarks.TargetedGuardHarness $ARGS
}
ARGS="$*"
if [ "$(id -u)" = 0 ]; then
    run env
    run setpriv --reuid 65534 --regid 65534 --clear-groups
else
    run env
fi
