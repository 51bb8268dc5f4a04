/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.bpf.h - includes and helpers shared by every probe family.
 */
#ifndef EDGETRACE_COMMON_BPF_H
#define EDGETRACE_COMMON_BPF_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "kernel_types.h"
#include "edgetrace.h"
#include "maps.bpf.h"

#endif /* EDGETRACE_COMMON_BPF_H */
