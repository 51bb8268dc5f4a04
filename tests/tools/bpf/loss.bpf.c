// SPDX-License-Identifier: GPL-2.0
/*
 * loss.bpf.c - drop LOSS_PCT % of the packets, at random, where it is
 * attached (tc clsact egress). test_uplink.sh uses it for packet loss on
 * kernels without sch_netem; it compiles it with clang at run time.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#ifndef LOSS_PCT
#define LOSS_PCT 30
#endif

static unsigned int (*get_prandom_u32)(void) =
	(void *)BPF_FUNC_get_prandom_u32;

__attribute__((section("tc"), used)) int loss(struct __sk_buff *skb)
{
	(void)skb;
	return get_prandom_u32() % 100 < LOSS_PCT ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
