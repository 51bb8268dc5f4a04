// SPDX-License-Identifier: GPL-2.0
/*
 * module.bpf.c - kernel module loads.
 *
 * The module_load raw tracepoint fires once a module has been loaded by
 * init_module or finit_module, in the context of the loading process; a
 * load that fails never reaches it.
 */
#include "common.bpf.h"

SEC("raw_tracepoint/module_load")
int et_module(struct bpf_raw_tracepoint_args *ctx)
{
	struct module *mod = (void *)ctx->args[0];
	struct et_module ev = {};

	et_fill_hdr(&ev.hdr, ET_EV_MODULE, sizeof(ev));
	bpf_probe_read_kernel_str(ev.name, sizeof(ev.name), &mod->name);
	et_output(&ev, sizeof(ev));
	return 0;
}
