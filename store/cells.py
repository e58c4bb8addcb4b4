"""MAP-Elites cells: a grid over behavioural features, each cell holding its best program.

A grid is a tuple of (feature, ascending bin edges); a program's cell is the bin index of
each of its features, so programs that behave alike compete and ones that behave
differently both survive. The grid comes from config ([database.cells]).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from .features import FEATURES

Cell = tuple[int, ...]

DEFAULT_CELLS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("flops", (10.0, 20.0, 40.0)),
    ("slope_neg", (-0.5, -0.05, 0.05, 0.5)),
    ("slope_pos", (0.5, 0.95, 1.05, 2.0)),
    ("non_monotonicity", (0.01, 0.1, 0.4)),
    ("turning_points", (1.0, 2.0, 6.0)),
)


@dataclass(frozen=True)
class CellGrid:
    axes: tuple[tuple[str, tuple[float, ...]], ...] = DEFAULT_CELLS

    def __post_init__(self) -> None:
        for name, edges in self.axes:
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}; known: {', '.join(FEATURES)}")
            if list(edges) != sorted(set(edges)):
                raise ValueError(f"bin edges of {name!r} must be strictly increasing")

    def cell(self, features: dict) -> Cell:
        """Bin index per axis; -1 where a feature is missing (rows from older stores)."""
        return tuple(bisect_right(edges, features[name]) if name in features else -1
                     for name, edges in self.axes)

    @property
    def size(self) -> int:
        n = 1
        for _, edges in self.axes:
            n *= len(edges) + 1
        return n
