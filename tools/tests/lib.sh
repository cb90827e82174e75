# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Helpers for the tdp tool cases (sourced by run.sh).
#
#   check NAME CMD...        exit 0, nothing on stderr, stdout = expected/NAME
#   checkrc RC NAME CMD...   the same with exit status RC
#   checkm NAME CMD...       as check, after masking the addresses of table
#                            pages the pool chose (entry=, table pa=, and the
#                            raw value of table entries in translate
#                            --verbose), which no manual prescribes
#   fails RC MESSAGE CMD...  exit RC, MESSAGE on stderr, nothing on stdout
failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

run() {
	_want=$1
	_name=$2
	shift 2
	"$@" >"$_name.out" 2>"$_name.err"
	_rc=$?
	if [ "$_rc" != "$_want" ]; then
		fail "$_name: exit status $_rc, expected $_want: $*"
		cat "$_name.err" >&2
	elif [ -s "$_name.err" ]; then
		fail "$_name: unexpected messages: $*"
		cat "$_name.err" >&2
	fi
}

compare() {
	if ! diff -u "$EXP/$1" "$2" >&2; then
		fail "$1: output differs from expected/$1 (- expected, + got)"
	fi
}

checkrc() {
	_rcw=$1
	shift
	run "$_rcw" "$@"
	compare "$1" "$1.out"
}

check() {
	checkrc 0 "$@"
}

mask() {
	sed -e 's/entry=0x[0-9a-f]\{16\}/entry=X/g' \
	    -e 's/table pa=0x[0-9a-f]\{16\}/table pa=X/' \
	    -e '/ table$/s/raw=0x[0-9a-f]\{16\}/raw=X/'
}

checkm() {
	run 0 "$@"
	mask <"$1.out" >"$1.masked"
	compare "$1" "$1.masked"
}

fails() {
	_want=$1
	_msg=$2
	shift 2
	"$@" >fails.out 2>fails.err
	_rc=$?
	[ "$_rc" = "$_want" ] || fail "exit status $_rc, expected $_want: $*"
	grep -qF -- "$_msg" fails.err ||
		{ fail "message '$_msg' missing: $*"; cat fails.err >&2; }
	[ -s fails.out ] && fail "output on stdout: $*"
	return 0
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$CASE: $failures failure(s)"
		exit 1
	fi
	echo "$CASE: ok"
}
