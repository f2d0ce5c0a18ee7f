#!/usr/bin/env bash
# Renders the sample HTML report in headless Chromium and checks what a reader would see:
# the DOM has the title, summary, agencies, bars and verification hash in both languages,
# the page has no external references, a screenshot and an A4 PDF come out.
#
# Usage: report_render_test.sh RENDER_SAMPLE_REPORT OUTPUT_DIR
# Exit 77 (skipped) when Chromium is not installed (scripts/install-deps.sh installs it).
set -euo pipefail

render=$1
out=$2

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
trap 'rm -rf "$work"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Chromium with no network use of its own and a throwaway profile.
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

"$render" "$work/report-id.html" id
"$render" "$work/report-en.html" en
cp "$work/report-id.html" "$out/report.html"

# Self-contained: nothing to fetch.
for page in "$work/report-id.html" "$work/report-en.html"; do
    if grep -qiE 'src="https?:|href="https?:|@import|url\(' "$page"; then
        fail "$(basename "$page") references something external"
    fi
done

# What the browser built from it.
browse --dump-dom "file://$work/report-id.html" >"$work/dom-id.html" ||
    fail "chromium could not load the report (see $work/chromium.log)"
browse --dump-dom "file://$work/report-en.html" >"$work/dom-en.html" ||
    fail "chromium could not load the English report"
expect_in "$work/dom-id.html" \
    '<html lang="id">' \
    'Pemerintah Kota Contoh' \
    'Laporan Ketersediaan Layanan Publik' \
    '1 November 2026 – 30 November 2026 (WIB)' \
    '3 dari 8 layanan tidak memenuhi target.' \
    'Ketersediaan per layanan' \
    'Rincian per instansi' \
    'Dinas Kependudukan dan Pencatatan Sipil' \
    'Dinas Kesehatan' \
    'Aplikasi Sehat Ibu &amp; Anak' \
    'Tidak memenuhi' \
    'Daftar gangguan' \
    'check antrian: no increase in 60m' \
    'Kepala Dinas Dukcapil' \
    'masih berlangsung' \
    'Celah pemantauan' \
    '22 Nov 2026 02.00' \
    'Hash terakhir buku besar' \
    '3b8f2a91c07d4e65b1a9f0c2d3e4b5a6978812fe0c4d5b6a7e8f9012a3b4c5d6'
expect_in "$work/dom-en.html" \
    '<html lang="en">' \
    'Public Service Availability Report' \
    '3 of 8 services did not meet their objective.' \
    'Details per agency' \
    'Not met' \
    'Monitoring gaps' \
    'Last ledger hash'
bars=$(grep -o '<svg' "$work/dom-id.html" | wc -l)
[[ "$bars" -eq 8 ]] || fail "expected one availability bar per service (8), found $bars"

# Looks like a document: a screenshot at A4 proportions and a PDF on A4 paper.
rm -f "$out/report.png" "$out/report.pdf"
browse --screenshot="$out/report.png" --window-size=1240,1754 "file://$work/report-id.html" ||
    fail "chromium could not take a screenshot"
browse --print-to-pdf="$out/report.pdf" --no-pdf-header-footer "file://$work/report-id.html" ||
    fail "chromium could not print to PDF"
[[ -s "$out/report.png" ]] || fail "no screenshot"
[[ -s "$out/report.pdf" ]] || fail "no PDF"
head -c 5 "$out/report.pdf" | grep -q '%PDF-' || fail "report.pdf is not a PDF"
if command -v pdfinfo >/dev/null 2>&1; then
    info=$(pdfinfo "$out/report.pdf")
    pages=$(awk '/^Pages:/ {print $2}' <<<"$info")
    grep -q '^Page size:.*(A4)' <<<"$info" || fail "PDF is not A4: $(grep '^Page size' <<<"$info")"
    [[ "$pages" -ge 1 && "$pages" -le 4 ]] || fail "PDF has $pages pages (expected 1-4)"
    echo "PDF: $pages A4 pages"
fi
if command -v pdftotext >/dev/null 2>&1; then
    pdftotext "$out/report.pdf" "$work/report.txt"
    expect_in "$work/report.txt" 'Laporan Ketersediaan Layanan Publik' \
        '3 dari 8 layanan tidak memenuhi target.'
fi
echo "browser report: DOM, screenshot ($out/report.png) and PDF ($out/report.pdf) OK"
