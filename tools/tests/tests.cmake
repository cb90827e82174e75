# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# End-to-end tests of the `tdp` tool: each case in cases/ is a shell script
# that runs the tool and compares its output with expected/ (written by
# hand from the Intel SDM and the Arm ARM, see the comments in ops/ and
# cases/). Included from tools/CMakeLists.txt when TDP_BUILD_TESTS is on.
find_program(TDP_SH sh REQUIRED)

set(TDP_TOOL_CASES
  ept4 ept5 ia32e4 ia32e5 pae legacy32 s2_4k s2_16k s2_64k spp
  corrupt_ia32e corrupt_ept corrupt_s2 hostile
  dump_formats diff usage)

foreach(c ${TDP_TOOL_CASES})
  add_test(NAME tdp_tool_${c}
    COMMAND ${TDP_SH} ${CMAKE_CURRENT_LIST_DIR}/run.sh
      $<TARGET_FILE:tdp_cli> ${CMAKE_CURRENT_LIST_DIR} ${c}
      ${CMAKE_CURRENT_BINARY_DIR}/tool-tests)
  # Sanitizer reports get their own exit codes, so a crash can never pass
  # for the tool's documented statuses 0, 1 and 2.
  set_tests_properties(tdp_tool_${c} PROPERTIES
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:exitcode=86;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87"
    LABELS tdp_tool)
endforeach()
