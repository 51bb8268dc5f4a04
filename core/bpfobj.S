/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpfobj.S - one BPF object (bpf/edgetrace.o, or reduced.o), gzip-
 * compressed, as read-only data from ET_BPF_SYM up to ET_BPF_END, for
 * bpfobj.c to inflate for libbpf. The Makefile assembles it once per
 * object and gives ET_BPF_GZ (the .gz file's path) and the two names.
 */
	.section .rodata.ET_BPF_SYM, "a"
	.balign 8
	.globl ET_BPF_SYM
ET_BPF_SYM:
	.incbin ET_BPF_GZ
	.globl ET_BPF_END
ET_BPF_END:

	.section .note.GNU-stack, "", %progbits
