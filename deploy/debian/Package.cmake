# The Debian package: what it depends on (dpkg-shlibdeps reads the binaries), what it recommends, its
# maintainer scripts and conffiles. `cpack` in a build directory configured with a /usr prefix makes
# sterifleet_<version>_<arch>.deb; tests/package checks it (lintian, an unpacked run, systemd-analyze).
set(STERIFLEET_PACKAGE_MAINTAINER "sterifleet developers <sterifleet@users.noreply.github.com>"
    CACHE STRING "The Maintainer field of the Debian package")

# A native package's changelog (Debian Policy 12.7): one entry for this version.
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${CMAKE_CURRENT_BINARY_DIR}/debian/changelog @ONLY)
execute_process(COMMAND gzip -9nf ${CMAKE_CURRENT_BINARY_DIR}/debian/changelog COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/debian/changelog.gz ${CMAKE_CURRENT_LIST_DIR}/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Maintainer scripts name the paths this prefix installs to.
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${script}.in ${CMAKE_CURRENT_BINARY_DIR}/debian/${script} @ONLY)
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/sterifleet/sterifleetd.toml\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sterifleet)
set(CPACK_PACKAGE_VENDOR sterifleet)
set(CPACK_PACKAGE_CONTACT "${STERIFLEET_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "compliance daemon for clinic device fleets")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "sterifleetd collects the telemetry and events of microneedling pens and
sterilizers over MQTT, tracks sterilizer cycles, needle cartridges, sessions
and reprocessing, raises compliance alerts (and locks a pen until it is safe),
serves a web dashboard to clinic managers and sealed reports to auditors, and
keeps a tamper-evident audit trail.
.
The service is installed but neither enabled nor started: edit
/etc/sterifleet/sterifleetd.toml, then systemctl enable --now sterifleetd.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/sterifleet/sterifleet")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql, prometheus-alertmanager, mosquitto-clients")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_BINARY_DIR}/debian/postinst ${CMAKE_CURRENT_BINARY_DIR}/debian/prerm
    ${CMAKE_CURRENT_BINARY_DIR}/debian/postrm ${CMAKE_CURRENT_BINARY_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# Absolute destinations (/etc, /lib/systemd/system) stay inside the package's root.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
include(CPack)
