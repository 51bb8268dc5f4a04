#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""sizetable.py MAPFILE [STRIPPED_BINARY] - what each object contributes.

Reads the GNU ld link map of the final binary (written with -Wl,-Map) and
sums, per input object, the sections that were kept after --gc-sections,
grouped into text, rodata, data and bss. Objects of a static library are
summed per library (libbpf.a, libc.a, ...); the agent's own objects are
listed one by one. This measures the binary as linked, not the objects
as compiled.
"""
import os
import re
import sys
from collections import defaultdict

KINDS = ("text", "rodata", "data", "bss")


def kind_of(section):
    s = section.lstrip(".")
    if s.startswith(("text", "init", "fini", "plt")):
        return "text"
    if s.startswith(("rodata", "eh_frame", "gcc_except")):
        return "rodata"
    if s.startswith(("tbss", "bss")) or section == "COMMON":
        return "bss"
    if s.startswith(("data", "tdata", "init_array", "fini_array", "got")):
        return "data"
    return None


def owner(path):
    m = re.match(r"(.*\.a)\((.*)\)$", path)
    if m:
        return os.path.basename(m.group(1))
    if path.endswith(".o") and ("/obj/" in path):
        return path.split("/obj/", 1)[1]
    return os.path.basename(path)


def is_num(s):
    return s.startswith("0x")


def parse(mapfile):
    """Sum kept input sections per owner, from the memory map part.

    An input section is a line " .name ADDR SIZE FILE", or " .name" alone
    when the name is long, with "ADDR SIZE FILE" on the next line.
    Discarded sections are listed before the memory map and not counted;
    sections at address 0 (debug info, not loaded) are skipped too.
    """
    sizes = defaultdict(lambda: dict.fromkeys(KINDS, 0))

    def add(section, addr, size, path):
        kind = kind_of(section)
        if kind and int(addr, 16) and int(size, 16):
            sizes[owner(path)][kind] += int(size, 16)

    with open(mapfile, errors="replace") as f:
        for line in f:
            if line.startswith("Linker script and memory map"):
                break
        pending = None
        for line in f:
            parts = line.split()
            if line.startswith(" ") and not line.startswith("  ") and parts:
                if len(parts) == 1:
                    pending = parts[0]
                    continue
                if len(parts) >= 4 and is_num(parts[1]) and is_num(parts[2]):
                    add(parts[0], parts[1], parts[2], " ".join(parts[3:]))
            elif pending and len(parts) >= 3 and is_num(parts[0]) and is_num(parts[1]):
                add(pending, parts[0], parts[1], " ".join(parts[2:]))
            pending = None
    return sizes


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: sizetable.py MAPFILE [STRIPPED_BINARY]")
    sizes = parse(sys.argv[1])
    rows = sorted(sizes.items(), key=lambda kv: -sum(kv[1].values()))
    print("%-28s %9s %9s %9s %9s %9s" % (("object",) + KINDS + ("total",)))
    totals = dict.fromkeys(KINDS, 0)
    for name, k in rows:
        print("%-28s %9d %9d %9d %9d %9d" % ((name,) + tuple(k[x] for x in KINDS) + (sum(k.values()),)))
        for x in KINDS:
            totals[x] += k[x]
    print("%-28s %9d %9d %9d %9d %9d" % (("TOTAL",) + tuple(totals[x] for x in KINDS) + (sum(totals.values()),)))
    if len(sys.argv) > 2:
        print("stripped binary: %d bytes (%s)" % (os.path.getsize(sys.argv[2]), sys.argv[2]))


if __name__ == "__main__":
    main()
