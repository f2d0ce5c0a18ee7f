#!/usr/bin/env bash
# The status page of a running daemon as headless Chromium renders it: a service that is
# down and one that is up show with the right words in bahasa Indonesia and in English,
# hostile names stay text, the page's own script runs (and nothing else), the 90-day bar
# carries a past outage from the ledger; screenshots (desktop, phone, dark) are saved.
#
# Usage: status_page_test.sh STATUS_PAGE_FIXTURE PANTAU OUTPUT_DIR
# Exit 77 (skipped) when Chromium is not installed (scripts/install-deps.sh installs it).
set -euo pipefail

fixture=$1
pantau=$2
out=$3

chromium=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        chromium=$(command -v "$candidate")
        break
    fi
done
if [[ -z "$chromium" ]]; then
    echo "SKIP: chromium is not installed (scripts/install-deps.sh installs it)"
    exit 77
fi

mkdir -p "$out"
work=$(mktemp -d)
fixture_pid=""
pantau_pid=""
cleanup() {
    [[ -n "$pantau_pid" ]] && kill "$pantau_pid" 2>/dev/null && wait "$pantau_pid" 2>/dev/null
    [[ -n "$fixture_pid" ]] && kill "$fixture_pid" 2>/dev/null && wait "$fixture_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    for log in fixture.log pantau.log; do
        [[ -f "$work/$log" ]] && { echo "--- $log" >&2; tail -n 30 "$work/$log" >&2; }
    done
    exit 1
}

wait_for() { # seconds, command...: true once the command succeeds
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# Chromium with no network use of its own and a throwaway profile (kept across calls so
# the language cookie carries over, as in one browser).
browse() {
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --disable-extensions --mute-audio --hide-scrollbars \
        --user-data-dir="$work/profile" "$@" 2>>"$work/chromium.log"
}

expect_in() { # file, text...
    local file=$1
    shift
    for text in "$@"; do
        grep -qF -- "$text" "$file" || fail "$(basename "$file") lacks: $text"
    done
}

expect_not_in() { # file, text...
    local file=$1
    shift
    for text in "$@"; do
        if grep -qF -- "$text" "$file"; then fail "$(basename "$file") has: $text"; fi
    done
}

row() { # state class, service name: the start of that service's entry
    printf '<li class="svc st-%s"><div class="svc-top"><span class="svc-name">%s</span>' "$1" "$2"
}

"$fixture" "$work" >"$work/fixture.log" 2>&1 &
fixture_pid=$!
wait_for 30 grep -q '^ready' "$work/fixture.log" || fail "the fixture did not start"

"$pantau" run --config "$work/pantau.yaml" >"$work/pantau.log" 2>&1 &
pantau_pid=$!
wait_for 30 grep -q 'listening on http://' "$work/pantau.log" || fail "pantau did not start"
base=$(grep -o 'listening on http://[0-9.:]*' "$work/pantau.log" | head -n 1 | cut -d' ' -f3)

page_shows() { # text: the page (as served) contains it
    curl -fsS "$base/" -o "$work/page.html" && grep -qF -- "$1" "$work/page.html"
}
wait_for 30 page_shows "$(row down 'Layanan Akta Kelahiran Online')" ||
    fail "the page never showed akta-online as down"
wait_for 30 page_shows "$(row up 'KTP Elektronik')" || fail "the page never showed ktp as up"

# --- bahasa Indonesia, the default ---------------------------------------------------------
browse --dump-dom "$base/" >"$work/dom-id.html" || fail "chromium could not load $base/"
outage_day=$(date -d "@$(($(date +%s) + 7 * 3600 - 3 * 86400))" -u +%-d)
expect_in "$work/dom-id.html" \
    '<html lang="id"' \
    '<title>Status Layanan Kota Contoh</title>' \
    '1 layanan sedang mengalami gangguan' \
    "$(row down 'Layanan Akta Kelahiran Online')<span class=\"state\"><span class=\"ico\" aria-hidden=\"true\">✕</span>Gangguan</span>" \
    "$(row up 'KTP Elektronik')<span class=\"state\"><span class=\"ico\" aria-hidden=\"true\">✓</span>Berjalan normal</span>" \
    'Gangguan yang sedang berlangsung' \
    '<td data-label="Layanan">Layanan Akta Kelahiran Online</td>' \
    '<td data-label="Penyebab">check portal: http 503</td>' \
    'Tidak ada pemeliharaan terjadwal.' \
    'Dinas &lt;script&gt;alert(1)&lt;/script&gt; Kesehatan' \
    'Janji Temu &lt;img src=x onerror=alert(2)&gt;' \
    'Dinas Komunikasi dan Informatika Kota Contoh · pengaduan: 112' \
    '<img src="data:image/svg+xml;base64,' \
    ': 96,87% · 1 gangguan, 45 menit"' \
    '90 hari lalu' \
    'href="?lang=en"'
# The past outage sits on the right day of the bar.
grep -qE "title=\"${outage_day} [A-Z][a-z]{2} [0-9]{4}: 96,87% · 1 gangguan, 45 menit\"" \
    "$work/dom-id.html" || fail "the bar does not show KTP's outage on day $outage_day"
# Our script ran (it shows the theme button); no other script exists or ran.
grep -qE '<button type="button" id="theme-toggle" aria-pressed="(true|false)">Tema gelap</button>' \
    "$work/dom-id.html" || fail "the page's script did not run (theme button still hidden)"
scripts=$(grep -o '<script' "$work/dom-id.html" | wc -l)
[[ "$scripts" -eq 1 ]] || fail "expected only the page's own <script>, found $scripts"
expect_not_in "$work/dom-id.html" '<img src="x"' 'Public Service Status'

# --- English: the link's URL, then the cookie it set ---------------------------------------
browse --dump-dom "$base/?lang=en" >"$work/dom-en.html" || fail "chromium could not load ?lang=en"
expect_in "$work/dom-en.html" \
    '<html lang="en"' \
    '1 service is down' \
    "$(row down 'Layanan Akta Kelahiran Online')<span class=\"state\"><span class=\"ico\" aria-hidden=\"true\">✕</span>Down</span>" \
    "$(row up 'KTP Elektronik')<span class=\"state\"><span class=\"ico\" aria-hidden=\"true\">✓</span>Operational</span>" \
    'Ongoing outages' \
    'No planned maintenance.' \
    ': 96.87% · 1 outage, 45 min"' \
    '>Bahasa Indonesia</a>'
expect_not_in "$work/dom-en.html" 'Gangguan yang sedang berlangsung'
browse --dump-dom "$base/" >"$work/dom-cookie.html" || fail "chromium could not load $base/ again"
expect_in "$work/dom-cookie.html" '<html lang="en"' '1 service is down'

# --- screenshots: desktop and phone in Indonesian, phone in the dark theme ------------------
rm -f "$out"/status-page*.png
browse --screenshot="$out/status-page.png" --window-size=1280,1700 "$base/?lang=id" ||
    fail "chromium could not take a screenshot"
browse --screenshot="$out/status-page-phone.png" --window-size=390,1400 "$base/" ||
    fail "chromium could not take the phone screenshot"
browse --screenshot="$out/status-page-dark.png" --window-size=390,1400 --force-dark-mode \
    --blink-settings=preferredColorScheme=0 "$base/" ||
    fail "chromium could not take the dark screenshot"
for shot in status-page.png status-page-phone.png status-page-dark.png; do
    [[ -s "$out/$shot" ]] || fail "no $shot"
done
echo "browser status page: DOM in both languages and screenshots ($out/status-page*.png) OK"
