# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Packaging tests: the exported ABI, header hygiene and header docs.
# Included from tests/CMakeLists.txt (hosted builds only).
set(TDP_PKG_DIR ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
set(TDP_INCLUDE_DIR ${PROJECT_SOURCE_DIR}/include)
file(GLOB TDP_PUBLIC_HEADERS CONFIGURE_DEPENDS ${TDP_INCLUDE_DIR}/libtdp/*.h)

find_program(TDP_SH sh REQUIRED)
find_program(TDP_NM NAMES ${CMAKE_NM} nm REQUIRED)

# (a) libtdp.so exports exactly the functions in src/libtdp.map, which are
# exactly the functions the headers declare with TDP_API.
add_test(NAME packaging_exports
  COMMAND ${TDP_SH} ${TDP_PKG_DIR}/check-exports.sh
    $<TARGET_FILE:tdp> ${PROJECT_SOURCE_DIR}/src/libtdp.map
    ${TDP_INCLUDE_DIR} ${CMAKE_C_COMPILER})
set_tests_properties(packaging_exports PROPERTIES ENVIRONMENT "NM=${TDP_NM}")

# (c) Every public header has an @file block, without which Doxygen
# silently documents nothing in it.
add_test(NAME packaging_file_blocks
  COMMAND ${TDP_SH} ${TDP_PKG_DIR}/check-file-blocks.sh ${TDP_INCLUDE_DIR})

# (b) Every public header compiles on its own, first thing in a file, as
# strict C11 and as C++: it includes what it needs and is C++-safe. The
# compilers run at test time so a failure is a test failure, not a build
# break that hides the other tests.
set(TDP_HEADER_C_FLAGS -std=c11 -pedantic -Wall -Wextra -Werror
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wundef -Wcast-qual)
# No -Wshadow for C++: g++ reports the C idiom of a struct and a function
# sharing a name (struct tdp_lookup / tdp_lookup(), like struct stat /
# stat()) as hiding the struct's constructor, which is harmless.
set(TDP_HEADER_CXX_FLAGS -std=c++11 -pedantic -Wall -Wextra -Werror
  -Wundef -Wcast-qual)

find_program(TDP_CXX NAMES g++ c++ clang++)
if(NOT TDP_CXX)
  message(WARNING "No C++ compiler (g++) found: the C++ header tests are "
    "not registered. Install g++ to run them.")
endif()

foreach(hdr ${TDP_PUBLIC_HEADERS})
  get_filename_component(name ${hdr} NAME_WE)
  set(tu_c ${CMAKE_CURRENT_BINARY_DIR}/header-check/${name}.c)
  set(tu_cxx ${CMAKE_CURRENT_BINARY_DIR}/header-check/${name}.cc)
  get_filename_component(base ${hdr} NAME)
  file(WRITE ${tu_c}.tmp "#include <libtdp/${base}>\n")
  configure_file(${tu_c}.tmp ${tu_c} COPYONLY)
  configure_file(${tu_c}.tmp ${tu_cxx} COPYONLY)

  add_test(NAME packaging_header_c_${name}
    COMMAND ${CMAKE_C_COMPILER} ${TDP_HEADER_C_FLAGS} -I${TDP_INCLUDE_DIR}
      -fsyntax-only ${tu_c})
  if(TDP_CXX)
    add_test(NAME packaging_header_cxx_${name}
      COMMAND ${TDP_CXX} ${TDP_HEADER_CXX_FLAGS} -I${TDP_INCLUDE_DIR}
        -fsyntax-only ${tu_cxx})
  endif()
endforeach()

# C++ callers link: every TDP_API function has C linkage in C++.
if(TDP_CXX)
  add_test(NAME packaging_cxx_link
    COMMAND ${TDP_SH} ${TDP_PKG_DIR}/check-cxx-link.sh ${TDP_INCLUDE_DIR}
      ${CMAKE_C_COMPILER} ${TDP_CXX} $<TARGET_FILE:tdp>)
  if(TDP_SANITIZE)
    # A sanitized libtdp.so needs the sanitizer runtime linked first.
    string(REPLACE ";" "," tdp_san_list "${TDP_SANITIZE}")
    set_tests_properties(packaging_cxx_link PROPERTIES
      ENVIRONMENT "CXXFLAGS=-fsanitize=${tdp_san_list}")
  endif()
endif()
