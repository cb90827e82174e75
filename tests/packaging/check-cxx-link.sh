#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# C++ programs must be able to call every public function: compile a C++
# file that takes the address of each TDP_API function (the list comes from
# the headers) and link it against libtdp.so. A declaration outside the
# headers' extern "C" block would get a C++-mangled name and fail to link.
#
# Usage: check-cxx-link.sh INCLUDE_DIR CC CXX LIBTDP_SO
# CXXFLAGS from the environment are added (a sanitizer build passes its
# -fsanitize flags: the runtime must come first in the link).
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 include-dir cc c++ libtdp.so" >&2
	exit 2
fi
incdir=$1
cc=$2
cxx=$3
lib=$4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sh "$(dirname "$0")/list-api.sh" "$incdir" "$cc" >"$work/api"
if [ ! -s "$work/api" ]; then
	echo "FAIL: no TDP_API functions found under $incdir" >&2
	exit 1
fi

{
	for h in "$incdir"/libtdp/*.h; do
		echo "#include <libtdp/$(basename "$h")>"
	done
	echo "typedef void (*tdp_any_fn)();"
	echo "static tdp_any_fn const api[] = {"
	sed 's/.*/\treinterpret_cast<tdp_any_fn>(\&&),/' "$work/api"
	echo "};"
	cat <<'CXX'
int main()
{
	// A volatile bound keeps every element (and so every reference) alive.
	volatile unsigned long n = sizeof(api) / sizeof(api[0]);
	unsigned long missing = 0;

	for (unsigned long i = 0; i < n; i++)
		missing += api[i] == 0;
	return missing != 0;
}
CXX
} >"$work/link.cc"

libdir=$(cd "$(dirname "$lib")" && pwd)
# shellcheck disable=SC2086 # CXXFLAGS is a list of flags
"$cxx" -std=c++11 -O0 -pedantic -Wall -Wextra -Werror ${CXXFLAGS:-} \
	-I"$incdir" "$work/link.cc" "$lib" -Wl,-rpath,"$libdir" -o "$work/link"
"$work/link"
echo "C++ link OK: $(wc -l <"$work/api") functions resolved with C linkage"
