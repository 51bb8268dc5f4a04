# libelf.mk - build libelf.a from an unpacked elfutils source tree.
#
# Used by toolchains/build.sh instead of elfutils' configure (see config.h
# beside this file for why). The source list is read from libelf/Makefile.am
# so an elfutils bump needs no edit here.
#
#   make -f libelf.mk SRC=<elfutils dir> OUT=<obj dir> CC=.. AR=.. \
#        CFLAGS=.. ZLIB_INCLUDE=<dir with zlib.h>

COMPAT := $(dir $(lastword $(MAKEFILE_LIST)))

SOURCES := $(shell sed -n '/^libelf_a_SOURCES/,/[^\\]$$/p' \
	$(SRC)/libelf/Makefile.am | sed 's/.*=//; s/\\//g')
# libelf's only lib/ dependency that is not #included into a libelf file:
# libelf_crc32.c and libelf_next_prime.c include lib/crc32.c, next_prime.c.
LIB_SOURCES := eu-search.c

ifeq ($(strip $(SOURCES)),)
$(error no libelf_a_SOURCES found in $(SRC)/libelf/Makefile.am)
endif

OBJS := $(addprefix $(OUT)/,$(SOURCES:.c=.o)) \
	$(addprefix $(OUT)/lib-,$(LIB_SOURCES:.c=.o))

CPPFLAGS := -DHAVE_CONFIG_H -D_GNU_SOURCE -I$(COMPAT) -iquote $(SRC)/libelf \
	-I$(SRC)/libelf -I$(SRC)/lib -I$(ZLIB_INCLUDE)
# gnu99 as upstream; elfutils relies on GNU C (statement expressions).
ELF_CFLAGS := -std=gnu99 -Wall -Wno-unused $(CFLAGS)

$(OUT)/libelf.a: $(OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(OUT)/%.o: $(SRC)/libelf/%.c | $(OUT)
	$(CC) $(CPPFLAGS) $(ELF_CFLAGS) -c $< -o $@

$(OUT)/lib-%.o: $(SRC)/lib/%.c | $(OUT)
	$(CC) $(CPPFLAGS) $(ELF_CFLAGS) -c $< -o $@

$(OUT):
	mkdir -p $@
