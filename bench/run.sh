#!/usr/bin/env bash
# Pantau performance benchmark (issue #7): pantau against a loopback nginx (plus refused
# and never-answering targets) at 1,000 / 10,000 / 100,000 checks, the same HTTP probes
# through prometheus-blackbox-exporter for comparison, alerting latency, and instruction
# counts per probe under callgrind. Writes bench/RESULTS.md.
#
# Usage: bench/run.sh [--quick] [--only throughput,blackbox,scale,timeouts,alerting,callgrind]
#                     [--keep] [--no-build]
#   --quick     smaller run (up to 10,000 checks, shorter windows): about 5 minutes
#   default     about 15 minutes on a 2-core machine
# Installs its missing Debian packages (nginx-light, prometheus-blackbox-exporter, wrk,
# valgrind) with scripts/install-deps.sh, and builds pantau (RelWithDebInfo) in build/.
# Everything listens on loopback only. Not part of the test suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build=1
args=()
for arg in "$@"; do
    case "$arg" in
    -h | --help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --no-build) build=0 ;;
    *) args+=("$arg") ;;
    esac
done

"$root/scripts/install-deps.sh" nginx-light prometheus-blackbox-exporter wrk valgrind python3

if [[ $build == 1 ]]; then
    cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$root/build" -j"$(nproc)" --target pantau
fi

# nginx-light and blackbox_exporter from Debian are started by us, on loopback ports
# chosen free; the packages' own services are not used.
export PATH="$PATH:/usr/sbin:/sbin"
exec python3 "$here/bench.py" --binary "$root/build/daemon/app/pantau" "${args[@]}"
