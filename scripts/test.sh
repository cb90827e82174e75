#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Build libtdp with warnings as errors and run the whole test suite (unit
# tests, exported-symbol, header and documentation-block checks) with ctest.
# Exits with ctest's status.
# Usage: sh scripts/test.sh
set -eu

cd "$(dirname "$0")/.."
. ./scripts/deps.sh

# g++ compiles every public header as C++; pkg-config finds cmocka.
tdp_require_packages cmake make gcc g++ libc6-dev pkg-config libcmocka-dev

cmake -S . -B build-test -DTDP_WERROR=ON
cmake --build build-test -j "$(tdp_jobs)"
cd build-test
exec ctest --output-on-failure
