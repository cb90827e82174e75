#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Doxygen documents the functions of a header only when the header has an
# @file block; without one it documents nothing and warns about nothing,
# so the docs target would pass while checking nothing. Every public header
# must therefore carry "@file" (or "\file"), naming itself if it names a
# file at all.
#
# Usage: check-file-blocks.sh INCLUDE_DIR
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 include-dir" >&2
	exit 2
fi

status=0
count=0
for h in "$1"/libtdp/*.h; do
	[ -e "$h" ] || continue
	count=$((count + 1))
	base=$(basename "$h")
	# The tag must sit in a comment line: "/** @file x.h" or " * @file x.h".
	tags=$(grep -E '^[[:space:]]*(/\*\*|/\*!|\*)?[[:space:]]*[@\\]file([[:space:]]|$)' "$h" || true)
	if [ -z "$tags" ]; then
		echo "FAIL: $h has no @file block" >&2
		status=1
		continue
	fi
	named=$(printf '%s\n' "$tags" |
		sed -n 's/.*[@\\]file[[:space:]]\{1,\}\([^[:space:]]\{1,\}\).*/\1/p')
	for n in $named; do
		if [ "$n" != "$base" ]; then
			echo "FAIL: $h: @file names '$n', not '$base'" >&2
			status=1
		fi
	done
	# The block must be a Doxygen comment: a "/**" (or "/*!") opens a
	# comment before the first @file line.
	first=$(grep -n -E '[@\\]file([[:space:]]|$)' "$h" | head -n 1 | cut -d: -f1)
	if ! head -n "$first" "$h" | grep -q -E '/\*[*!]'; then
		echo "FAIL: $h: @file is not inside a /** ... */ comment" >&2
		status=1
	fi
done
if [ "$count" -eq 0 ]; then
	echo "FAIL: no headers under $1/libtdp" >&2
	exit 1
fi
[ $status -eq 0 ] && echo "@file OK in all $count public headers"
exit $status
