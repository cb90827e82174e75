#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# Print the functions the public headers declare, one per line, sorted:
# by default those declared with TDP_API; with --undecorated those declared
# without it (which should be none).
#
# The headers are preprocessed as a compiler sees them, so comments and
# disabled #if branches do not count and TDP_API appears expanded as the
# visibility attribute. Only text that comes from the public headers is
# kept (not <stdint.h> and friends).
#
# Usage: list-api.sh INCLUDE_DIR CC [--undecorated]
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 include-dir cc [--undecorated]" >&2
	exit 2
fi
incdir=$1
cc=$2
mode=${3:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

: >"$tmp/all.c"
for h in "$incdir"/libtdp/*.h; do
	echo "#include <libtdp/$(basename "$h")>" >>"$tmp/all.c"
done
"$cc" -E -std=c11 -I"$incdir" "$tmp/all.c" >"$tmp/all.i"

# One declaration (or declaration fragment) per line: split at ; { }.
awk -v inc="$incdir/libtdp/" '
	/^# [0-9]+ "/ {
		f = $3
		gsub(/"/, "", f)
		keep = index(f, inc) == 1
		next
	}
	keep
' "$tmp/all.i" | tr '\n' ' ' | tr ';{}' '\n\n\n' >"$tmp/decls"

if [ "$mode" = "--undecorated" ]; then
	# "type name(" at the start of a fragment; function-pointer members
	# ("type (*name)("), typedefs and static inline helpers (never
	# exported) do not count, nor do the return statements in the
	# bodies of those helpers ("return name(").
	type='[A-Za-z_][A-Za-z0-9_ ]*[[:space:]*]\{1,\}'
	name='\([a-z_][a-z0-9_]*\)'
	grep -v 'visibility *( *"default" *)' "$tmp/decls" |
		grep -v -E '^[[:space:]]*(typedef|static|return)[[:space:]]' |
		sed 's/^[[:space:]]*extern[[:space:]]\{1,\}//' |
		sed -n "s/^[[:space:]]*$type$name[[:space:]]*(.*/\\1/p" |
		sort -u
else
	grep 'visibility *( *"default" *)' "$tmp/decls" |
		sed 's/.*visibility *( *"default" *) *) *)//' |
		sed -n 's/^[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)[[:space:]]*(.*/\1/p' |
		sort -u
fi
