#!/usr/bin/env python3
"""Generate crates/pgferry-archive/src/quote/keywords.rs from PostgreSQL's src/include/parser/kwlist.h.

Usage: scripts/gen-keywords.py PATH/TO/kwlist.h > crates/pgferry-archive/src/quote/keywords.rs

The keyword list is data: only each keyword's spelling and category are kept. Entries stay in the file's
ASCII order so that the table can be binary-searched.
"""
import re
import sys

CATEGORIES = {
    "UNRESERVED_KEYWORD": "Unreserved",
    "COL_NAME_KEYWORD": "ColName",
    "TYPE_FUNC_NAME_KEYWORD": "TypeFuncName",
    "RESERVED_KEYWORD": "Reserved",
}
ENTRY = re.compile(r'^PG_KEYWORD\("([a-z_]+)",\s*\w+,\s*(\w+),\s*\w+\)')


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    entries = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            m = ENTRY.match(line)
            if m:
                entries.append((m.group(1), CATEGORIES[m.group(2)]))
    words = [w for w, _ in entries]
    if words != sorted(words) or len(set(words)) != len(words):
        sys.exit("keywords are not in strict ASCII order")
    out = sys.stdout
    out.write("// Generated from PostgreSQL 18 kwlist.h by scripts/gen-keywords.py — do not edit.\n")
    out.write("//\n")
    out.write("// Each SQL keyword with its category, in ASCII order (binary-searchable).\n\n")
    out.write("use super::KeywordCategory::{self, ColName, Reserved, TypeFuncName, Unreserved};\n\n")
    out.write(f"/// PostgreSQL 18's keywords ({len(entries)}), sorted by spelling.\n")
    out.write("#[rustfmt::skip]\n")
    out.write(f"pub(super) static KEYWORDS: [(&str, KeywordCategory); {len(entries)}] = [\n")
    for word, cat in entries:
        out.write(f'    ("{word}", {cat}),\n')
    out.write("];\n")


if __name__ == "__main__":
    main()
