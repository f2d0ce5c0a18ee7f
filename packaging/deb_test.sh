#!/usr/bin/env bash
# Builds the Debian package with CPack and checks what an administrator installing it gets:
# the files in their Debian places, the configuration as conffiles, library dependencies,
# maintainer scripts that parse, and a binary and configuration that work as unpacked.
# Usage: packaging/deb_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
out=$(mktemp -d /tmp/pantau-deb-XXXXXX)
trap 'rm -rf "$out"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

cd "$build"
if ! cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1; then
    cat "$out/cpack.log" >&2
    echo "FAIL: cpack could not build the package" >&2
    exit 1
fi
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' CPackConfig.cmake)
arch=$(dpkg --print-architecture)
deb="$out/pantau_${version}_${arch}.deb"
if [ ! -f "$deb" ]; then
    echo "FAIL: expected $deb; cpack made: $(ls "$out")" >&2
    exit 1
fi
echo "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

contents=$(dpkg-deb --contents "$deb")
for path in \
    ./usr/bin/pantau \
    ./etc/pantau/pantau.yaml \
    ./etc/pantau/calendars/libur-nasional-2026.yaml \
    ./usr/lib/systemd/system/pantau.service \
    ./usr/lib/sysusers.d/pantau.conf \
    ./usr/lib/tmpfiles.d/pantau.conf \
    ./usr/share/pantau/grafana/pantau.json \
    ./usr/share/pantau/prometheus/pantau-rules.yml \
    ./usr/share/pantau/openapi.yaml \
    ./usr/share/pantau/calendars/libur-nasional-2026.yaml \
    ./usr/share/doc/pantau/README.md; do
    grep -q -E " ${path//./\\.}\$" <<<"$contents" || fail "package lacks $path"
done
# Nothing outside Debian's places, and no ledger or state shipped.
while read -r path; do
    case "$path" in
    ./ | ./etc/* | ./etc/ | ./usr/* | ./usr/) ;;
    *) fail "unexpected path in the package: $path" ;;
    esac
done < <(awk '{print $NF}' <<<"$contents")
grep -q "/var/lib/pantau" <<<"$contents" && fail "the package ships /var/lib/pantau (postinst makes it)"
grep -E " \./usr/bin/pantau$" <<<"$contents" | grep -q '^-rwxr-xr-x root/root' ||
    fail "/usr/bin/pantau is not an executable owned by root"

[ "$(dpkg-deb --field "$deb" Package)" = pantau ] || fail "Package is not pantau"
[ "$(dpkg-deb --field "$deb" Version)" = "$version" ] || fail "Version is not $version"
depends=$(dpkg-deb --field "$deb" Depends)
for lib in libcurl4 libyaml-cpp libsqlite3 libssl3; do
    grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib (shlibdeps): $depends"
done

dpkg-deb --control "$deb" "$out/control"
diff <(sort "$out/control/conffiles") <(printf '%s\n' /etc/pantau/calendars/libur-nasional-2026.yaml /etc/pantau/pantau.yaml) ||
    fail "conffiles differ from the two files under /etc/pantau"
for script in postinst prerm postrm; do
    if [ ! -x "$out/control/$script" ]; then
        fail "$script missing or not executable"
        continue
    fi
    sh -n "$out/control/$script" || fail "$script does not parse (sh -n)"
    head -1 "$out/control/$script" | grep -q '^#!/bin/sh' || fail "$script is not a /bin/sh script"
done
grep -q "systemd-sysusers /usr/lib/sysusers.d/pantau.conf" "$out/control/postinst" ||
    fail "postinst does not create the pantau user"
grep -q "systemd-tmpfiles --create /usr/lib/tmpfiles.d/pantau.conf" "$out/control/postinst" ||
    fail "postinst does not create /var/lib/pantau"
grep -q "daemon-reload" "$out/control/postinst" || fail "postinst does not reload systemd"

# Unpacked, the binary runs, the unit starts it from where the package put it, and the
# shipped configuration (with its calendar beside it) is valid.
dpkg-deb -x "$deb" "$out/root"
"$out/root/usr/bin/pantau" --version | grep -qx "pantau $version" || fail "pantau --version"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$out/root/usr/lib/systemd/system/pantau.service")
[ -x "$out/root$exec_start" ] || fail "the unit's ExecStart $exec_start is not in the package"
if ! PANTAU_ADMIN_TOKEN=test PANTAU_TELEGRAM_TOKEN=test "$out/root/usr/bin/pantau" check-config "$out/root/etc/pantau/pantau.yaml"; then
    fail "the shipped /etc/pantau/pantau.yaml does not pass check-config"
fi

# The shipped unit runs as the unprivileged pantau user (that sysusers creates), uses no
# directive this systemd does not know, and is hardened to an exposure of at most 1.5.
unit="$out/root/usr/lib/systemd/system/pantau.service"
grep -qx "User=pantau" "$unit" || fail "the unit does not run as User=pantau"
grep -q "^u pantau " "$out/root/usr/lib/sysusers.d/pantau.conf" || fail "sysusers does not create pantau"
if command -v systemd-analyze >/dev/null 2>&1; then
    # Executables are looked up on this machine, not in the package: those lines say nothing.
    verify=$(systemd-analyze verify "$unit" 2>&1 | grep -v -E "Command .* is not executable" || true)
    [ -z "$verify" ] || fail "systemd-analyze verify: $verify"
    exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if systemd-analyze security --offline=true --threshold=15 "$unit" >/dev/null 2>&1; then
        echo "unit: systemd-analyze security exposure $exposure"
    else
        fail "systemd-analyze security: exposure $exposure is over 1.5"
    fi
else
    echo "systemd-analyze not installed: the unit's hardening was not measured"
fi

if ((failures > 0)); then
    echo "$failures problem(s) with the package" >&2
    exit 1
fi
echo "package OK: $(grep -c . <<<"$contents") entries, Depends: $depends"
