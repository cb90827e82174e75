/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/**
 * @file tdp.h
 * @brief The umbrella header: includes every freestanding libtdp header.
 *
 * host.h (the real-memory backend) needs a hosted build and is included
 * separately.
 */
#ifndef LIBTDP_TDP_H
#define LIBTDP_TDP_H

#include <libtdp/arm64.h>
#include <libtdp/common.h>
#include <libtdp/format.h>
#include <libtdp/map.h>
#include <libtdp/mem.h>
#include <libtdp/pgtable.h>
#include <libtdp/shadow.h>
#include <libtdp/spp.h>
#include <libtdp/x86.h>

#endif /* LIBTDP_TDP_H */
