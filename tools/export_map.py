#!/usr/bin/env python3
"""Writes the linker version script of libjacspec: exactly the functions the
public header declares are exported, every internal helper stays local.

usage: export_map.py include/jacspec.h OUTPUT.map"""
import re
import sys

header = open(sys.argv[1]).read()
header = re.sub(r"/\*.*?\*/", "", header, flags=re.S)
names = sorted(set(re.findall(r"\b(js_\w+)\s*\(", header)) -
               set(re.findall(r"\(\s*\*\s*(js_\w+)\s*\)", header)))
with open(sys.argv[2], "w") as out:
    out.write("JACSPEC_0 {\n  global:\n")
    out.writelines(f"    {n};\n" for n in names)
    out.write("  local:\n    *;\n};\n")
