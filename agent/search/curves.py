"""Near-duplicates: a candidate whose curve matches an evaluated function's is not trained
again.

Exact duplicates (the same canonical IR hash) are cache hits already; this catches the
functions that trace to different graphs but compute (nearly) the same curve, e.g.
``x * sigmoid(1.702 * x)`` next to ``x * sigmoid(1.7 * x)``, or a term scaled by 1e-6. A
curve is the function's values on a fixed probe grid, computed from the trusted IR (rebuilt
with ``ActivationIR.to_callable()``; the proposal's Python never runs here). Two curves
match when ``max |f - g| < tolerance * (1 + max(|f|, |g|))``.

The index holds only programs whose evaluation was really run or served from the cache
(never a near-duplicate itself, so matches cannot drift along a chain). It lives in memory
but is rebuilt from the program log and the run's IRs on every start (``from_programs``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from actmine.sandbox.ir import ActivationIR, IRError
from actmine.store.programs import NEAR_DUPLICATE_OF, Program

# Wider than every lab task's box and OOD band on x, where most pre-activations fall; 401
# points resolve periods down to about 0.1.
__all__ = ["GRID", "NEAR_DUPLICATE_OF", "TOLERANCE", "CurveIndex", "Match", "curve_of"]
GRID = np.linspace(-6.0, 6.0, 401)
TOLERANCE = 1e-3


def curve_of(ir: ActivationIR) -> np.ndarray | None:
    """The IR's values on GRID (float32, as the lab trains), or None if any is not finite."""
    try:
        with torch.no_grad():
            values = ir.to_callable()(torch.tensor(GRID, dtype=torch.float32))
        curve = values.detach().to(torch.float64).cpu().numpy().reshape(-1)
    except Exception:  # noqa: BLE001 - an IR this build cannot run is simply never matched
        return None
    return curve if curve.shape == GRID.shape and np.all(np.isfinite(curve)) else None


@dataclass(frozen=True)
class Match:
    program_id: int
    ir_hash: str
    distance: float  # max |f - g| / (1 + max |f|, |g|): below the tolerance


class CurveIndex:
    def __init__(self, tolerance: float = TOLERANCE):
        self.tolerance = tolerance
        self._ids: list[int] = []
        self._irs: list[str] = []
        self._rows: list[np.ndarray] = []
        self._known: set[str] = set()
        self._matrix: np.ndarray | None = None  # the rows stacked, rebuilt after an add

    @classmethod
    def from_programs(cls, programs: Iterable[Program], ir_of: Callable[[str], dict | None],
                      tolerance: float = TOLERANCE) -> CurveIndex:
        """The index of a run's evaluated programs, in commit order (first of each IR)."""
        index = cls(tolerance)
        if tolerance <= 0:
            return index
        for p in sorted(programs, key=lambda p: (p.seq is None, p.seq, p.id)):
            if (not p.evaluated or not p.ir_hash or p.near_duplicate_of is not None
                    or p.ir_hash in index):
                continue
            data = ir_of(p.ir_hash)
            if data is None:
                continue
            try:
                curve = curve_of(ActivationIR.from_dict(data))
            except IRError:
                continue
            if curve is not None:
                index.add(p.id, p.ir_hash, curve)
        return index

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, ir_hash: str) -> bool:
        return ir_hash in self._known

    def add(self, program_id: int, ir_hash: str, curve: np.ndarray | None) -> None:
        if curve is None or self.tolerance <= 0 or ir_hash in self:
            return
        self._ids.append(program_id)
        self._irs.append(ir_hash)
        self._known.add(ir_hash)
        self._rows.append(curve)
        self._matrix = None

    def match(self, curve: np.ndarray | None) -> Match | None:
        """The closest indexed curve within the tolerance, or None."""
        if curve is None or not self._ids or self.tolerance <= 0:
            return None
        if self._matrix is None:
            self._matrix = np.stack(self._rows)
        diff = np.max(np.abs(self._matrix - curve), axis=1)
        scale = 1.0 + np.maximum(np.max(np.abs(self._matrix), axis=1), np.max(np.abs(curve)))
        distance = diff / scale
        best = int(np.argmin(distance))
        if distance[best] >= self.tolerance:
            return None
        return Match(self._ids[best], self._irs[best], float(distance[best]))
