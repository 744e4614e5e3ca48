"""Figures, the table they print as, and the JSON file they are kept in."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    """One measured figure beside its reference from the same run, and the target it is held to."""

    section: str
    name: str
    value: float | None
    unit: str
    reference: float | None = None
    reference_name: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def skipped(cls, section: str, name: str, reason: str) -> Figure:
        return cls(section, name, None, "", note=f"skipped: {reason}")

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "skipped"
        if self.met is None:
            return ""
        return "met" if self.met else "MISSED"


def _number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    text = f"{value:,.0f}" if magnitude >= 1000 else f"{value:.3g}" if magnitude < 10 else f"{value:.1f}"
    return f"{text} {unit}".strip()


def format_table(figures: list[Figure]) -> str:
    """A plain-text table, one block per section."""
    rows = [("figure", "value", "reference", "ratio", "target", "verdict")]
    sections: list[str] = []
    for figure in figures:
        if figure.section not in sections:
            sections.append(figure.section)
    lines: list[str] = []
    for section in sections:
        block = [rows[0]]
        notes: list[str] = []
        for f in (f for f in figures if f.section == section):
            reference = f"{_number(f.reference, f.unit)} ({f.reference_name})" if f.reference_name else ""
            ratio = "" if f.ratio is None or math.isnan(f.ratio) else f"{f.ratio:.2f}x"
            value = f.note if f.value is None else _number(f.value, f.unit)
            block.append((f.name, value, reference, ratio, f.target, f.verdict))
            if f.note and f.value is not None:
                notes.append(f"  - {f.name}: {f.note}")
        widths = [max(len(row[i]) for row in block) for i in range(len(rows[0]))]
        lines.append(f"== {section} ==")
        for row in block:
            lines.append(
                "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
        lines.extend(notes)
        lines.append("")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        sdk = version("mcp")
    except Exception:
        sdk = "unknown"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "mcp_sdk": sdk,
    }


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def write_json(path: Path, figures: list[Figure], meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"meta": meta, "figures": [_clean(asdict(f)) for f in figures]}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _clean(value: Any) -> Any:
    """NaN is not JSON: write null instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
