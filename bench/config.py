"""What a benchmark run may use: its mode (full or quick) and a scratch folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SANDBOX_ENV = {"LETEXTO_SANDBOX": "1", "LETEXTO_STATE_URL": "memory://"}


@dataclass(frozen=True)
class BenchConfig:
    """`quick`: a smoke run of every benchmark in well under a minute, figures only indicative."""

    quick: bool
    workdir: Path

    def pick(self, full: int, quick: int) -> int:
        """A count for this mode."""
        return quick if self.quick else full

    def pickf(self, full: float, quick: float) -> float:
        return quick if self.quick else full
