# Installation layout and the Debian package (CPack, DEB generator):
#   cmake --build build --target package   ->  build/pantau_<version>_<arch>.deb
# Paths follow Debian: the package installs under /usr (CPACK_PACKAGING_INSTALL_PREFIX),
# the configuration under /etc/pantau (conffiles, kept across upgrades), the ledger lives in
# /var/lib/pantau (made by postinst through systemd-tmpfiles, never shipped).
# The pantau binary itself is installed by daemon/app/CMakeLists.txt (bin/).

set(PANTAU_PACKAGING_DIR ${CMAKE_CURRENT_LIST_DIR})

# /etc: absolute on purpose, also for `cmake --install` with another prefix.
install(FILES config/pantau.yaml DESTINATION /etc/pantau)
install(FILES config/calendars/libur-nasional-2026.yaml DESTINATION /etc/pantau/calendars)

install(FILES systemd/pantau.service DESTINATION lib/systemd/system)
install(FILES systemd/pantau.sysusers DESTINATION lib/sysusers.d RENAME pantau.conf)
install(FILES systemd/pantau.tmpfiles DESTINATION lib/tmpfiles.d RENAME pantau.conf)

install(FILES config/grafana/pantau.json DESTINATION share/pantau/grafana)
install(FILES config/prometheus/pantau-rules.yml DESTINATION share/pantau/prometheus)
install(FILES config/openapi.yaml DESTINATION share/pantau)
install(FILES config/pantau.yaml DESTINATION share/pantau RENAME pantau.yaml.example)
install(FILES config/calendars/libur-nasional-2026.yaml DESTINATION share/pantau/calendars)
install(FILES README.md DESTINATION share/doc/pantau)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pantau)
set(CPACK_PACKAGE_VENDOR "Pantau")
set(CPACK_PACKAGE_CONTACT "Pantau maintainers <pantau@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "monitor for municipal digital public services")
set(CPACK_PACKAGE_DESCRIPTION
    "Pantau watches a city's or regency's digital public services, detects outages\n\
(technical, or a service up but serving nobody), escalates to the officials who can act\n\
and keeps a tamper-evident outage ledger. Exports Prometheus metrics compatible with\n\
blackbox_exporter; ships a Grafana dashboard and Prometheus rules.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr) # the prefix CPack installs with when CPACK_SET_DESTDIR is on
# Absolute destinations (/etc/pantau) go into the package, not onto the build machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # pantau_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # Depends: from the libraries the binary links
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus, sqlite3")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${PANTAU_PACKAGING_DIR}/debian/conffiles;${PANTAU_PACKAGING_DIR}/debian/postinst;${PANTAU_PACKAGING_DIR}/debian/prerm;${PANTAU_PACKAGING_DIR}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
