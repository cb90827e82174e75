#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
#
# The exported ABI must be deliberate: the functions libtdp.so exports, the
# names the version script lists, and the functions the public headers
# declare with TDP_API must be the same set. libfdt shipped functions that
# were declared but came out local more than once; this catches that, and
# also a public function declared without TDP_API (it would be missing from
# all three lists at once).
#
# Usage: check-exports.sh LIBTDP_SO VERSION_MAP INCLUDE_DIR CC
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 libtdp.so libtdp.map include-dir cc" >&2
	exit 2
fi
lib=$1
map=$2
incdir=$3
cc=$4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Remove /* */ and // comments so a name mentioned in prose never counts.
strip_comments() {
	awk '
	BEGIN { inc = 0 }
	{
		line = $0; out = ""
		while (length(line) > 0) {
			if (inc) {
				e = index(line, "*/")
				if (!e) { line = ""; break }
				line = substr(line, e + 2); inc = 0
				continue
			}
			s = index(line, "/*"); d = index(line, "//")
			if (d && (!s || d < s)) {
				out = out substr(line, 1, d - 1)
				line = ""
				break
			}
			if (!s) { out = out line; line = ""; break }
			out = out substr(line, 1, s - 1) " "
			line = substr(line, s + 2); inc = 1
		}
		print out
	}' "$@"
}

# 1. What the shared library exports. Only functions (T) are expected; the
# version node itself shows up as an absolute symbol (A) and is skipped.
"${NM:-nm}" -D --defined-only "$lib" >"$work/nm.txt"
awk 'NF == 3 && $2 == "T" { sub(/@.*/, "", $3); print $3 }' "$work/nm.txt" |
	sort -u >"$work/exported"
awk 'NF == 3 && $2 != "T" && $2 != "A"' "$work/nm.txt" >"$work/other"

# 2. What the version script lists in the "global:" section of any node.
strip_comments "$map" | awk '
	{ text = text " " $0 }
	END {
		gsub(/[{};]/, "\n&\n", text)
		n = split(text, tok, "\n")
		for (i = 1; i <= n; i++) {
			t = tok[i]
			gsub(/^[ \t]+|[ \t]+$/, "", t)
			if (t == "{" || t == "}") { state = ""; continue }
			if (t ~ /^global:/) { state = "g"; sub(/^global:[ \t]*/, "", t) }
			if (t ~ /^local:/) { state = "l"; continue }
			if (state == "g" && t ~ /^[A-Za-z_][A-Za-z0-9_]*$/)
				print t
		}
	}
' | sort -u >"$work/mapped"

# 3. What the public headers declare (see list-api.sh).
here=$(dirname "$0")
sh "$here/list-api.sh" "$incdir" "$cc" >"$work/declared"
sh "$here/list-api.sh" "$incdir" "$cc" --undecorated >"$work/undecorated"

status=0
report() {
	# report TITLE FILE
	if [ -s "$2" ]; then
		echo "FAIL: $1:" >&2
		sed 's/^/    /' "$2" >&2
		status=1
	fi
}

comm -23 "$work/exported" "$work/mapped" >"$work/d1"
comm -13 "$work/exported" "$work/mapped" >"$work/d2"
comm -23 "$work/declared" "$work/exported" >"$work/d3"
comm -13 "$work/declared" "$work/exported" >"$work/d4"
comm -23 "$work/declared" "$work/mapped" >"$work/d5"
comm -13 "$work/declared" "$work/mapped" >"$work/d6"

report "exported by $lib but not listed in $map" "$work/d1"
report "listed in $map but not exported by $lib (missing or not defined)" "$work/d2"
report "declared with TDP_API but not exported by $lib" "$work/d3"
report "exported by $lib but not declared with TDP_API in a public header" "$work/d4"
report "declared with TDP_API but missing from $map" "$work/d5"
report "listed in $map but not declared with TDP_API in a public header" "$work/d6"
report "public functions declared without TDP_API" "$work/undecorated"
report "exported symbols that are not functions (nm type other than T)" "$work/other"

n=$(wc -l <"$work/exported")
if [ "$n" -eq 0 ]; then
	echo "FAIL: $lib exports no functions at all" >&2
	status=1
fi
if [ $status -eq 0 ]; then
	echo "exports OK: $n functions exported, listed in the map" \
		"and declared with TDP_API"
fi
exit $status
