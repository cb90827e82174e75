#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The freestanding contract, checked end to end:
#  1. the core builds with -DTDP_FREESTANDING=ON (static libtdp.a only);
#  2. libtdp.a references no symbol that it does not define itself except
#     memcpy, memmove, memset and memcmp, which GCC and clang may emit for
#     struct copies even in freestanding code and which every freestanding
#     environment supplies: no other libc function, no libgcc helpers
#     (__popcountdi2, __udivdi3), no stack-protector hooks;
#  3. a program with its own _start, linked -ffreestanding -nostdlib
#     -static against it, runs and exits 0 (main.c).
# Both a debug and an optimised build are checked: optimisers are what turn
# loops and struct copies into memset/memcpy calls.
#
# Usage: check.sh [BUILD_DIR]   (default: a temporary directory)
# Environment: CC (default cc), NM (default nm).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
cc=${CC:-cc}
nm=${NM:-nm}
if [ $# -ge 1 ]; then
	top=$1
	mkdir -p "$top"
else
	top=$(mktemp -d)
	trap 'rm -rf "$top"' EXIT
fi

status=0
for bt in Debug Release; do
	build=$top/$bt
	echo "== freestanding $bt build with $cc in $build"
	cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=$bt \
		-DCMAKE_C_COMPILER="$cc" -DTDP_FREESTANDING=ON -DTDP_WERROR=ON \
		-DTDP_BUILD_DOCS=OFF >"$build.configure.log" 2>&1 || {
		cat "$build.configure.log" >&2
		exit 1
	}
	cmake --build "$build" -j2

	lib=$build/libtdp.a
	if [ ! -f "$lib" ]; then
		echo "FAIL: $lib was not built" >&2
		exit 1
	fi
	# The objects of the archive reference each other; what must be
	# empty is what they reference and no object of the archive defines.
	"$nm" --defined-only -g "$lib" |
		awk 'NF == 3 { print $3 }' | sort -u >"$build.defined"
	"$nm" -A -u "$lib" | awk '{ print $NF, $1 }' | sort >"$build.undef"
	undef=$(awk 'NR == FNR { def[$1] = 1; next }
		$1 ~ /^(memcpy|memmove|memset|memcmp)$/ { next }
		!($1 in def)' "$build.defined" "$build.undef")
	if [ -n "$undef" ]; then
		echo "FAIL: libtdp.a ($bt, $cc) references symbols it does" \
			"not define (symbol, object):" >&2
		printf '%s\n' "$undef" | sed 's/^/    /' >&2
		status=1
		continue
	fi
	echo "libtdp.a ($bt): no undefined symbols outside the archive" \
		"but the compiler's memcpy/memmove/memset/memcmp"

	prog=$build/freestanding-check
	"$cc" -std=c11 -O2 -Wall -Wextra -Werror -Wmissing-prototypes \
		-ffreestanding -fno-builtin -fno-stack-protector \
		-nostdlib -static -I"$src/include" \
		"$here/main.c" "$lib" -o "$prog"
	rc=0
	"$prog" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: freestanding program ($bt, $cc) exited $rc" \
			"(the failing check in tests/freestanding/main.c)" >&2
		status=1
		continue
	fi
	echo "freestanding program ($bt): exited 0"
done
if [ $status -eq 0 ]; then
	echo "freestanding check passed ($cc)"
fi
exit $status
