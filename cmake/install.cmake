# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Install rules: the libraries, the public headers, and (hosted builds) the
# two ways consumers find libtdp: a CMake package exporting libtdp::tdp and
# libtdp::tdp_static, and libtdp.pc for pkg-config.
include(CMakePackageConfigHelpers)

set(TDP_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/libtdp)
set(TDP_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/libtdp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT libtdp_development
  FILES_MATCHING PATTERN "*.h")

if(TDP_FREESTANDING)
  # An embedder links the archive into its own image with its own build
  # system: it gets the archive and the headers, and no package files that
  # would promise a hosted libtdp.so.
  install(TARGETS ${TDP_INSTALL_TARGETS}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libtdp_development)
  return()
endif()

install(TARGETS ${TDP_INSTALL_TARGETS} EXPORT libtdpTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    COMPONENT libtdp_runtime NAMELINK_COMPONENT libtdp_development
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libtdp_development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT libtdp_runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# --- CMake package -------------------------------------------------------
install(EXPORT libtdpTargets
  NAMESPACE libtdp::
  DESTINATION ${TDP_CMAKE_DIR}
  COMPONENT libtdp_development)
# The same targets straight from a build tree (CMAKE_PREFIX_PATH=<build>).
export(EXPORT libtdpTargets NAMESPACE libtdp::
  FILE ${PROJECT_BINARY_DIR}/libtdpTargets.cmake)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/libtdpConfig.cmake.in
  ${PROJECT_BINARY_DIR}/libtdpConfig.cmake
  INSTALL_DESTINATION ${TDP_CMAKE_DIR})

# While the major version is 0 a minor release may break the ABI (the
# version-script node changes with it), so only the same minor satisfies a
# request; from 1.0 on, any later release of the same major does.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(TDP_VERSION_COMPAT SameMinorVersion)
else()
  set(TDP_VERSION_COMPAT SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/libtdpConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${TDP_VERSION_COMPAT})

install(FILES
    ${PROJECT_BINARY_DIR}/libtdpConfig.cmake
    ${PROJECT_BINARY_DIR}/libtdpConfigVersion.cmake
  DESTINATION ${TDP_CMAKE_DIR}
  COMPONENT libtdp_development)

# --- pkg-config ----------------------------------------------------------
# libdir and includedir are written relative to ${prefix} so the file stays
# correct if the tree is moved; cmake_path(APPEND) keeps an absolute
# CMAKE_INSTALL_LIBDIR (NixOS, some distributions) absolute instead of
# producing "${prefix}//nix/store/...".
cmake_path(APPEND TDP_PC_LIBDIR "\${exec_prefix}" "${CMAKE_INSTALL_LIBDIR}")
cmake_path(APPEND TDP_PC_INCLUDEDIR "\${prefix}" "${CMAKE_INSTALL_INCLUDEDIR}")

# The prefix is only known for sure at install time (cmake --install
# --prefix overrides the configured one), so the template is configured in
# two passes: everything but the prefix now, the prefix when installing.
set(TDP_PC_PREFIX "@CMAKE_INSTALL_PREFIX@")
configure_file(${PROJECT_SOURCE_DIR}/cmake/libtdp.pc.in
  ${PROJECT_BINARY_DIR}/libtdp.pc.install-template @ONLY)
install(CODE "
  configure_file(\"${PROJECT_BINARY_DIR}/libtdp.pc.install-template\"
    \"${PROJECT_BINARY_DIR}/pc-install/libtdp.pc\" @ONLY)
" COMPONENT libtdp_development)
install(FILES ${PROJECT_BINARY_DIR}/pc-install/libtdp.pc
  DESTINATION ${TDP_PKGCONFIG_DIR}
  COMPONENT libtdp_development)
