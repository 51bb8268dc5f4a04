/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output_io.h - the file and socket parts of records (output_io.c):
 * JSON objects "file" and "net", the table's details, a socket address as
 * text and the protocol's name, for the output and the filter.
 */
#ifndef EDGETRACE_OUTPUT_IO_H
#define EDGETRACE_OUTPUT_IO_H

#include <stddef.h>
#include <stdio.h>

#include "storage.h"

void et_json_file(FILE *f, const struct et_record *r);
void et_json_net(FILE *f, const struct et_record *r);
void et_table_file(FILE *f, const struct et_record *r);
void et_table_net(FILE *f, const struct et_record *r);

/* An address of 4 or 16 bytes as text: 0, or -1 for any other length. */
int et_format_addr(const struct et_str *a, char *buf, size_t len);

/* "tcp", "udp", "unix" or "other". */
const char *et_proto_name(const struct et_record *r);

#endif /* EDGETRACE_OUTPUT_IO_H */
