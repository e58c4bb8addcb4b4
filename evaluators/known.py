"""Known activation functions: the one table from which the search's seeds, the models'
example programs, the baselines and the transfer references are all derived.

Each entry is candidate source text, so it goes through the same admission path as any
proposal (static check, sandboxed trace, checks, FLOP count): the IR that is trained is
exactly the one a proposal spelling the same function would get, and evaluations share the
cache with the search.
"""

from __future__ import annotations

from dataclasses import dataclass

from actmine.sandbox.errors import UserError

HEAD = "import math\nimport torch\nimport torch.nn.functional as F\n\n\ndef activation(x):\n"

# What an entry is used for:
BASELINE = "baseline"  # `actmine baselines`, and the references the search reports against
SEED = "seed"  # evaluated first in a new run; the symbolic proposer's starting trees
PROMPT = "prompt"  # example programs a language model sees before anything is evaluated
TRANSFER = "transfer"  # a column of every `actmine transfer` table
PANEL = "panel"  # the functions `actmine bench alignment` ranks in the lab and downstream


@dataclass(frozen=True)
class Known:
    key: str  # stable id (seed comments, lookups); lower case
    name: str  # display name
    expression: str  # the activation's body is `return <expression>` (torch, F, math, x)
    formula: str  # human-readable
    roles: frozenset[str]
    note: str = ""
    label: str = ""  # short column name in transfer tables (default: name)

    @property
    def source(self) -> str:
        return f"# {self.name} = {self.formula}\n{HEAD}    return {self.expression}\n"

    @property
    def short(self) -> str:
        return self.label or self.name


def _k(key: str, name: str, expression: str, formula: str, *roles: str, note: str = "",
       label: str = "") -> Known:
    return Known(key, name, expression, formula, frozenset(roles), note, label)


KNOWN: tuple[Known, ...] = (
    _k("relu", "ReLU", "torch.relu(x)", "max(x, 0)", BASELINE, SEED, PROMPT, TRANSFER, PANEL),
    _k("gelu", "GELU", "F.gelu(x)", "x Phi(x)", BASELINE, SEED, PROMPT, TRANSFER, PANEL,
       note="exact (erf) GELU"),
    _k("silu", "SiLU", "F.silu(x)", "x sigmoid(x)", BASELINE, SEED, PROMPT, PANEL),
    _k("tanh", "tanh", "torch.tanh(x)", "tanh(x)", BASELINE, SEED, PANEL),
    _k("softplus", "softplus", "F.softplus(x)", "log(1 + exp(x))", SEED, PANEL),
    _k("elu", "ELU", "F.elu(x)", "x if x > 0 else exp(x) - 1", BASELINE, SEED, PANEL),
    _k("swish_beta", "Swish-1.5", "x * torch.sigmoid((1.5 * x))", "x sigmoid(1.5 x)", SEED,
       PANEL, note="Ramachandran et al. 2017, beta = 1.5"),
    _k("mish", "Mish", "F.mish(x)", "x tanh(softplus(x))", BASELINE, PANEL),
    _k("snake", "Snake", "x + torch.sin(x) ** 2", "x + sin(x)^2", BASELINE, PANEL,
       note="Ziyin et al. 2020, a = 1"),
    _k("sin", "sin", "torch.sin(x)", "sin(x)", BASELINE, PANEL),
    _k("gelusine", "GELUSine", "F.gelu(x) + 0.1 * torch.sin(x)", "GELU(x) + 0.1 sin(x)",
       BASELINE, TRANSFER, PANEL, note="paper's discovery"),
    _k("gelu_sinc", "GELU-Sinc", "F.gelu(x) * (1.0 + 0.5 * torch.sinc(x))",
       "GELU(x) (1 + 0.5 sinc(x))", BASELINE, TRANSFER, PANEL, label="GSP",
       note="paper's GELU-Sinc-Perturbation; normalised sinc(x) = sin(pi x)/(pi x)"),
    _k("gmtu", "GMTU", "torch.tanh(1.5 * x) * torch.exp(-0.2 * x * x) + 0.1 * x",
       "tanh(1.5x) exp(-0.2x^2) + 0.1x", BASELINE, PANEL,
       note="paper's Gaussian-Modulated Tangent Unit"),
    # Literature functions, for the alignment panel.
    _k("serf", "Serf", "x * torch.erf(F.softplus(x))", "x erf(softplus(x))", PANEL,
       note="Nag et al. 2023"),
    _k("smish", "Smish", "x * torch.tanh(torch.log1p(torch.sigmoid(x)))",
       "x tanh(log(1 + sigmoid(x)))", PANEL, note="Wang et al. 2022"),
    _k("gcu", "GCU", "x * torch.cos(x)", "x cos(x)", PANEL,
       note="Growing Cosine Unit, Noel et al. 2021"),
    _k("logish", "Logish", "x * torch.log1p(torch.sigmoid(x))", "x log(1 + sigmoid(x))", PANEL,
       note="Zhu et al. 2021"),
    _k("tanhexp", "TanhExp", "x * torch.tanh(torch.exp(torch.clamp(x, max=20.0)))",
       "x tanh(exp(x))", PANEL, note="Liu & Di 2020 (exp clamped at 20: the same in float32)"),
    _k("elish", "ELiSH", "torch.where(x >= 0, x, torch.expm1(torch.clamp(x, max=0.0))) * "
       "torch.sigmoid(x)", "x sigmoid(x) if x >= 0 else (exp(x) - 1) sigmoid(x)", PANEL,
       note="Basirat & Roth 2018"),
    _k("leaky_relu", "LeakyReLU", "F.leaky_relu(x, 0.1)", "max(x, 0.1 x)", PANEL),
    # The kinds a search finds: bounded (the demo's winners), saturating, periodic.
    _k("erf", "erf", "torch.erf(x)", "erf(x)", PANEL, note="the demo's lab winner, bounded"),
    _k("tanh_silu", "tanh-SiLU", "torch.tanh(F.silu(x)) * (1 + (0.5 * torch.tanh(x)))",
       "tanh(SiLU(x)) (1 + 0.5 tanh(x))", PANEL, note="the demo's second, bounded"),
    _k("softsign", "softsign", "F.softsign(x)", "x / (1 + |x|)", PANEL),
    _k("gelu_cos", "GELU+cos", "F.gelu(x) + 0.2 * torch.cos(2.0 * x) - 0.2",
       "GELU(x) + 0.2 (cos(2x) - 1)", PANEL, note="GELU plus a periodic term, 0 at 0"),
)

# The paper's lab table (aggregate OOD test loss and training loss; units and aggregation
# not published; lower is better). Source: reference/paper.md section 3.
PAPER_LAB: dict[str, tuple[float, float]] = {
    "GELUSine": (54.7, 1.4),
    "GELU-Sinc": (68.7, 2.2),
    "GELU": (78.8, 2.0),
    "ReLU": (93.1, 3.5),
}


def with_role(role: str) -> tuple[Known, ...]:
    return tuple(k for k in KNOWN if role in k.roles)


def by_names(names: list[str] | tuple[str, ...] | None, role: str = BASELINE) -> tuple[Known, ...]:
    """Entries of ``role`` by display name or key (case-insensitive); all of them if no names."""
    pool = with_role(role)
    if not names:
        return pool
    index = {n.lower(): k for k in pool for n in (k.name, k.key)}
    unknown = [n for n in names if n.lower() not in index]
    if unknown:
        raise UnknownActivation(f"unknown activation(s) {unknown}; known: "
                                f"{', '.join(k.name for k in pool)}")
    return tuple(index[n.lower()] for n in names)


class UnknownActivation(UserError, LookupError):
    """A name that is not in the table (one line, lists the known names)."""
