"""Git merge driver for gettext catalogues: the union of both sides' entries.

Two branches that each add strings to one catalogue conflict on every line near the end and on
the ``POT-Creation-Date`` header, although their entries never clash. This driver keeps our
header, our entries in our order, then the entries only the other side has; where both sides
have one msgid, a non-empty translation wins over an empty one, and ours over theirs.

Enable it in a clone (``.gitattributes`` names it for ``*.po``)::

    git config merge.po.driver "python3 scripts/po_merge.py %O %A %B"

Standard library only, so it runs with any ``python3``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _blocks(text: str) -> list[str]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


def _key(block: str) -> tuple[str, ...]:
    """msgctxt + msgid + msgid_plural of an entry, comments and translations left out. The
    quoted pieces of a field are joined, so one entry wrapped differently by two gettext
    versions is still one entry."""
    fields: dict[str, str] = {}
    field = ""
    for line in block.splitlines():
        if line.startswith("#~"):
            line = line[2:].lstrip()
        elif line.startswith("#"):
            continue
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ")):
            field, rest = line.split(" ", 1)
            fields[field] = rest.strip()[1:-1]
        elif line.startswith("msgstr"):
            field = "msgstr"
        elif line.startswith('"') and field and field != "msgstr":
            fields[field] += line.strip()[1:-1]
    return tuple(
        f"{name}:{fields[name]}" for name in ("msgctxt", "msgid", "msgid_plural") if name in fields
    )


def _translated(block: str) -> bool:
    in_str = False
    for line in block.splitlines():
        if line.startswith("msgstr"):
            in_str = True
            if line.split(" ", 1)[1] != '""':
                return True
        elif in_str and line.startswith('"') and line != '""':
            return True
    return False


def merge(ours: str, theirs: str) -> str:
    ours_blocks, theirs_blocks = _blocks(ours), _blocks(theirs)
    theirs_by_key = {_key(b): b for b in theirs_blocks}
    out: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for block in ours_blocks:
        key = _key(block)
        seen.add(key)
        other = theirs_by_key.get(key)
        if key != ("msgid:",) and other and not _translated(block) and _translated(other):
            block = other
        out.append(block)
    out.extend(b for b in theirs_blocks if _key(b) not in seen)
    return "\n\n".join(out) + "\n"


def main() -> int:
    _base, ours_path, theirs_path = sys.argv[1:4]
    ours = Path(ours_path).read_text(encoding="utf-8")
    theirs = Path(theirs_path).read_text(encoding="utf-8")
    Path(ours_path).write_text(merge(ours, theirs), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
