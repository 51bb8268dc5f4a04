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


def parse(mapfile):
    sizes = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    in_map = False
    pending = None
    rx = re.compile(r"^ (\S+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
    with open(mapfile, errors="replace") as f:
        for line in f:
            if line.startswith("Linker script and memory map"):
                in_map = True
                continue
            if not in_map or not line.startswith(" ") or line.startswith("  "):
                if in_map and line.startswith(" ") and pending is None:
                    pass
                if not line.startswith(" .") and not (pending and line.startswith("  ")):
                    pending = None
                    if not line.startswith(" COMMON"):
                        continue
            m = rx.match(line)
            if m and m.group(1):
                section, addr, size, path = m.groups()
            elif m and pending:
                section, addr, size, path = pending, m.group(2), m.group(3), m.group(4)
            else:
                parts = line.split()
                pending = parts[0] if len(parts) == 1 else None
                continue
            pending = None
            kind = kind_of(section)
            n = int(size, 16)
            if kind is None or n == 0 or int(addr, 16) == 0:
                continue
            sizes[owner(path.strip())][kind] += n
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
