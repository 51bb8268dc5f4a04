/*
 * config.h for building elfutils' libelf without its configure script.
 *
 * elfutils' configure insists on argp, fts and obstack, which only its
 * command-line tools use; musl has none of them. edgetrace needs libelf.a
 * alone, so libelf.mk beside this file compiles the libelf sources and
 * lib/eu-search.c directly and this file stands in for the generated
 * config.h. It answers only the questions libelf and its lib/ helpers ask
 * (grep HAVE_ USE_ in libelf/ and lib/system.h when bumping elfutils).
 * It works for glibc and musl; __GLIBC__ tells them apart.
 */
#ifndef EDGETRACE_ELFUTILS_CONFIG_H
#define EDGETRACE_ELFUTILS_CONFIG_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

/* Pull in the libc's feature macros (__GLIBC__ or nothing for musl). */
#include <string.h>
#include <sys/param.h>

#define PACKAGE_NAME "elfutils"
#define PACKAGE "elfutils"
#define LOCALEDIR "/usr/share/locale"

/* system.h wants error.h (glibc) or err.h (musl, declares error() itself;
 * libelf never calls it, so no definition is needed). */
#ifdef __GLIBC__
#define HAVE_ERROR_H 1
#endif
#define HAVE_ERR_H 1

/* GNU string functions: both libcs have mempcpy and memrchr with
 * _GNU_SOURCE; only glibc has rawmemchr (libelf falls back to memchr). */
#define HAVE_DECL_MEMPCPY 1
#define HAVE_DECL_MEMRCHR 1
#ifdef __GLIBC__
#define HAVE_DECL_RAWMEMCHR 1
#else
#define HAVE_DECL_RAWMEMCHR 0
#endif
#define HAVE_DECL_REALLOCARRAY 1
#ifdef powerof2
#define HAVE_DECL_POWEROF2 1
#else
#define HAVE_DECL_POWEROF2 0
#endif

#define HAVE_VISIBILITY 1
#define HAVE_FALLTHROUGH 1
#define HAVE_STDATOMIC_H 1
#define HAVE_MREMAP 1

/* Deliberately off: USE_LOCKS (experimental thread safety; the agent is
 * single-threaded), USE_ZSTD (BPF objects never use zstd sections),
 * SYMBOL_VERSIONING (only for the shared library). */

/* As configure's AH_BOTTOM: the compiler attribute and gettext macros. */
#include <eu-config.h>

#endif
