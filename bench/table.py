"""A markdown table of one or two result files: `python -m bench.table A.json [B.json]` (the
columns are named after the files).

The README's benchmark table is made with this from the files in bench/results/, so the
figures there are the figures a run wrote, not retyped ones."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def _cell(f: dict[str, Any] | None) -> str:
    if not f or f.get("skipped"):
        return "skipped" + (f": {f.get('note', '')}" if f else "")
    verdict = "pass" if f.get("pass") else "**miss**"
    return f"{_num(f['value'])} {f['unit']} (ratio {_num(f.get('ratio'))}, {verdict})"


def table(
    main: dict[str, Any], other: dict[str, Any] | None = None, names: tuple[str, str] = ("", "")
) -> str:
    head = f"| figure | {names[0] or 'value'} |" + (f" {names[1]} |" if other is not None else "")
    lines = [
        head + " baseline (same run as the first) | goal |",
        "|---|---|" + ("---|" if other else ""),
    ]
    lines[1] += "---|---|"
    for name, f in main.items():
        row = [f"`{name}`", _cell(f)]
        if other is not None:
            row.append(_cell(other.get(name)))
        what = re.split(r"[:(]|, ", f.get("baseline_what") or "", maxsplit=1)[0].strip()
        base = f"{_num(f.get('baseline'))} ({what})" if what else _num(f.get("baseline"))
        row += [base, f.get("goal", "")]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if not argv or len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 2
    missing = [a for a in argv if not Path(a).is_file()]
    if missing:
        print(f"error: no such result file: {', '.join(missing)}", file=sys.stderr)
        return 2
    files = [json.loads(Path(a).read_text()) for a in argv]
    names = tuple(Path(a).stem for a in argv) + ("",)
    print(table(files[0], files[1] if len(files) > 1 else None, (names[0], names[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
