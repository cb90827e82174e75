#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Run one end-to-end case of the tdp tool in a fresh directory.
# usage: run.sh TDP SRCDIR CASE WORKROOT
TDP=$1
SRC=$2
CASE=$3
WORK=$4/$CASE
EXP=$SRC/expected
OPS=$SRC/ops
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK" || exit 1
. "$SRC/lib.sh"
. "$SRC/cases/$CASE.sh"
finish
