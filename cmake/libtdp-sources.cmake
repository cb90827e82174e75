# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# The library's sources, for CMake and for embedders that build libtdp with
# their own build system (a hypervisor's Kbuild or Makefile): the core list
# is freestanding, the hosted list needs a C library.
set(TDP_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/../src/errors.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/pool.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/format.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/pgtable.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/walk.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/iter.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/lookup.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/map.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/harvest.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/tlb.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/x86/x86_common.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/x86/ept.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/x86/eptp.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/x86/paging.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/x86/shadow.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/x86/spp.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/arm64/s2.c
  ${CMAKE_CURRENT_LIST_DIR}/../arch/arm64/s2_regs.c
)
set(TDP_HOSTED_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/../src/hosted/pool_alloc.c
  ${CMAKE_CURRENT_LIST_DIR}/../src/hosted/host_mm.c
)
