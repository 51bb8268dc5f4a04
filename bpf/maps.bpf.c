// SPDX-License-Identifier: GPL-2.0
/*
 * maps.bpf.c - defines the shared maps declared in maps.bpf.h, and the
 * licence of the linked object.
 */
#define ET_DEFINE_MAPS
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";
