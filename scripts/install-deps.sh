#!/usr/bin/env bash
# Install the Debian 12 packages needed to build and test Pantau.
#
# Usage: scripts/install-deps.sh [EXTRA_PACKAGE...]
#   Extra package names (e.g. test-only tools such as prometheus or alertmanager)
#   are installed along with the base list.
#
# Only packages that are not already installed are passed to apt-get, and
# `apt-get update` runs only when something is missing. Prints nothing and exits 0
# when everything is present. Uses sudo when not run as root.
set -euo pipefail

packages=(
    build-essential
    cmake
    ninja-build
    pkg-config
    libboost1.81-dev      # Asio, Beast; not Debian's default 1.74
    libcurl4-openssl-dev
    libssl-dev
    libc-ares-dev         # the DNS probe (asynchronous resolver, driven by Asio)
    zlib1g-dev
    libyaml-cpp-dev
    prometheus-cpp-dev
    libspdlog-dev
    libfmt-dev
    doctest-dev
    libsqlite3-dev
    sqlite3               # the tamper test edits the ledger with the sqlite3 tool
    nlohmann-json3-dev
    clang-format          # 14 on Debian 12; CI checks .clang-format
    clang-tidy            # 14 on Debian 12; CI checks .clang-tidy
    curl
    procps
    iproute2              # the ICMP test brings up lo in a private network namespace
    util-linux            # unshare, for that namespace
    chromium              # headless: renders the HTML report in tests/browser
    fonts-liberation      # the report's fonts (chromium only recommends them)
    prometheus-alertmanager # a real Alertmanager for the alertmanager channel's tests
    prometheus            # tests/prometheus: real Prometheus + promtool run the dashboard and rules
)

for arg in "$@"; do
    case "$arg" in
    -h | --help)
        sed -n '2,10s/^# \{0,1\}//p' "$0"
        exit 0
        ;;
    esac
    # Debian package names (optionally :arch); refuse anything that apt-get
    # could read as an option.
    if [[ ! "$arg" =~ ^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$ ]]; then
        echo "install-deps: not a Debian package name: '$arg'" >&2
        exit 2
    fi
    packages+=("$arg")
done

missing=()
for pkg in "${packages[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

as_root=()
if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "install-deps: missing packages: ${missing[*]}" >&2
        echo "install-deps: not running as root and sudo is not installed;" \
            "run this script as root or install the packages above yourself." >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
