"""Known activation functions, as candidate source text, and the paper's lab figures.

They go through the same admission path as any proposal (static check, sandboxed trace,
checks, FLOP count), so the IR that is trained is exactly the one a proposal spelling the
same function would get, and their evaluations share the cache with the search.
"""

from __future__ import annotations

from dataclasses import dataclass

_HEAD = "import math\nimport torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n"


@dataclass(frozen=True)
class Baseline:
    name: str
    formula: str
    body: str  # the function body (indented, ends with a return)
    note: str = ""

    @property
    def source(self) -> str:
        return f"# baseline: {self.name} = {self.formula}\n{_HEAD}{self.body}"


BASELINES: tuple[Baseline, ...] = (
    Baseline("ReLU", "max(x, 0)", "    return torch.relu(x)\n"),
    Baseline("GELU", "x Phi(x)", "    return F.gelu(x)\n", "exact (erf) GELU"),
    Baseline("SiLU", "x sigmoid(x)", "    return F.silu(x)\n"),
    Baseline("tanh", "tanh(x)", "    return torch.tanh(x)\n"),
    Baseline("ELU", "x if x > 0 else exp(x) - 1", "    return F.elu(x)\n"),
    Baseline("Mish", "x tanh(softplus(x))", "    return F.mish(x)\n"),
    Baseline("Snake", "x + sin(x)^2", "    return x + torch.sin(x) ** 2\n",
             "Ziyin et al. 2020, a = 1"),
    Baseline("sin", "sin(x)", "    return torch.sin(x)\n"),
    Baseline("GELUSine", "GELU(x) + 0.1 sin(x)", "    return F.gelu(x) + 0.1 * torch.sin(x)\n",
             "paper's discovery"),
    Baseline("GELU-Sinc", "GELU(x) (1 + 0.5 sinc(x))",
             "    return F.gelu(x) * (1.0 + 0.5 * torch.sinc(x))\n",
             "paper's GELU-Sinc-Perturbation; normalised sinc(x) = sin(pi x)/(pi x)"),
    Baseline("GMTU", "tanh(1.5x) exp(-0.2x^2) + 0.1x",
             "    return torch.tanh(1.5 * x) * torch.exp(-0.2 * x * x) + 0.1 * x\n",
             "paper's Gaussian-Modulated Tangent Unit"),
)

# The paper's lab table (aggregate OOD test loss and training loss; units and aggregation
# not published; lower is better). Source: /work/shared/reference/paper.md section 3.
PAPER_LAB: dict[str, tuple[float, float]] = {
    "GELUSine": (54.7, 1.4),
    "GELU-Sinc": (68.7, 2.2),
    "GELU": (78.8, 2.0),
    "ReLU": (93.1, 3.5),
}


def get_baselines(names: list[str] | tuple[str, ...] | None = None) -> tuple[Baseline, ...]:
    if not names:
        return BASELINES
    by_name = {b.name.lower(): b for b in BASELINES}
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise KeyError(f"unknown baseline(s) {unknown}; known: {[b.name for b in BASELINES]}")
    return tuple(by_name[n.lower()] for n in names)
