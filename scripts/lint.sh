#!/usr/bin/env bash
# Checks formatting (.clang-format) and clang-tidy (.clang-tidy) on the project's sources.
# Usage: scripts/lint.sh BUILD_DIR   (BUILD_DIR holds compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

mapfile -t sources < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' 2>/dev/null || true)
if [ ${#sources[@]} -eq 0 ]; then
    mapfile -t sources < <(find daemon probes tests bench -name '*.cpp' -o -name '*.hpp' 2>/dev/null)
fi
clang-format --dry-run --Werror "${sources[@]}"

# CTest splits a test's name at ';', so an integration case named with one never runs.
if git grep -n -E 'TEST_CASE\("[^"]*;' -- tests/integration >&2; then
    echo "integration test names must not contain ';' (CTest would skip them)" >&2
    exit 1
fi

# clang-tidy on translation units of the product (tests follow the format only).
mapfile -t units < <(printf '%s\n' "${sources[@]}" | grep -E '^(daemon|probes)/.*\.cpp$')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${units[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet >"$log" 2>&1; then
    grep -v -E '^[0-9]+ warnings? generated|^Suppressed|^Use -header-filter' "$log" >&2 || true
    echo "clang-tidy found problems (see above)" >&2
    exit 1
fi
echo "lint: format and clang-tidy clean (${#sources[@]} files)"
