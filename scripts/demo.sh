#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Build libtdp and run the demo program, build/examples/tdp-demo.
# Usage: sh scripts/demo.sh [demo arguments]
set -eu

cd "$(dirname "$0")/.."
. ./scripts/deps.sh

tdp_require_packages cmake make gcc libc6-dev

# The demo needs neither cmocka nor Doxygen: leave the tests out.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTDP_BUILD_TESTS=OFF
cmake --build build -j "$(tdp_jobs)" --target tdp-demo
exec ./build/examples/tdp-demo "$@"
