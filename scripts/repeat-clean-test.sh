#!/usr/bin/env bash
# Clones the repository afresh and runs the README's test command (./dev test) in the clone
# N times in a row, printing each run's duration and result, so a flaky or slow suite shows
# up the way a newcomer or CI would meet it.
#
# Usage: scripts/repeat-clean-test.sh [-n RUNS] [-k] [REF]
#   -n RUNS  how many runs (default 5); each run starts from `git clean -fdx` in the clone
#   -k       keep going after a failed run (default: stop at the first failure)
#   REF      the commit to test (default HEAD of this checkout)
# Output: one line per run ("run 2/5: pass in 13m 05s"), the logs in the clone's .repeat/.
# Exit status: 0 when every run passed.
set -euo pipefail

runs=5
keep_going=0
while getopts "n:kh" opt; do
    case "$opt" in
    n) runs=$OPTARG ;;
    k) keep_going=1 ;;
    h)
        sed -n '2,12s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
    echo "repeat-clean-test: -n needs a positive number, got '$runs'" >&2
    exit 2
fi

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
ref=$(git -C "$repo" rev-parse "${1:-HEAD}")
clone=$(mktemp -d "${TMPDIR:-/tmp}/pantau-clean.XXXXXX")
git clone --quiet --no-local "$repo" "$clone"
git -C "$clone" checkout --quiet "$ref"
mkdir -p "$clone/.repeat"
echo "testing ${ref:0:12} in $clone, $runs run(s)"

failed=0
for ((i = 1; i <= runs; i++)); do
    git -C "$clone" clean -fdxq -e .repeat
    log="$clone/.repeat/run-$i.log"
    start=$(date +%s)
    if (cd "$clone" && ./dev test) >"$log" 2>&1; then
        result=pass
    else
        result=FAIL
        failed=$((failed + 1))
    fi
    took=$(($(date +%s) - start))
    printf 'run %d/%d: %s in %dm %02ds (log %s)\n' "$i" "$runs" "$result" $((took / 60)) \
        $((took % 60)) "$log"
    if [ "$result" = FAIL ]; then
        grep -E -m 20 'FAILED|Failed|ERROR|error:' "$log" | sed 's/^/    /' || true
        if [ "$keep_going" = 0 ]; then
            break
        fi
    fi
done
[ "$failed" = 0 ]
