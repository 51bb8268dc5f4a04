/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfobj.S - the probes' BPF object (bpf/edgetrace.o), gzip-compressed,
 * as read-only data: et_bpf_gz up to et_bpf_gz_end. bpfobj.c inflates it
 * for libbpf. ET_BPF_GZ is the .gz file's path, given by the Makefile.
 */
	.section .rodata.et_bpf_gz, "a"
	.balign 8
	.globl et_bpf_gz
et_bpf_gz:
	.incbin ET_BPF_GZ
	.globl et_bpf_gz_end
et_bpf_gz_end:

	.section .note.GNU-stack, "", %progbits
