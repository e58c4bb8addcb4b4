"""Selection fitness against the held-out validation score, over the run: over-fitting to
the lab (the paper's failure mode) shows as a best-so-far fitness that keeps falling while
the validation of that best does not."""

from __future__ import annotations

import numpy as np
from actmine.store.programs import Program

from . import style


def has_validation(programs) -> bool:
    return any("validation" in p.objectives for p in programs)


def trajectory(programs: list[Program]) -> list[dict]:
    """Per evaluated program, in commit order: fresh evaluations so far, the best-so-far
    program (by fitness, 'ok' only) with its fitness and validation."""
    out, fresh, best = [], 0, None
    for p in programs:
        if p.fitness is None:
            continue
        fresh += 0 if p.cached else 1
        if p.status == "ok" and (best is None or p.fitness < best.fitness):
            best = p
        out.append({"fresh": fresh, "id": p.id, "validation": p.objectives.get("validation"),
                    "best_id": best.id if best else None,
                    "best_fitness": best.fitness if best else None,
                    "best_validation": best.objectives.get("validation") if best else None})
    return out


def validation_figure(programs: list[Program], gelu: Program | None,
                      champion: Program | None) -> bytes:
    points = trajectory(programs)
    fig, axes = style.figure(1, 2, height=3.4)
    ax_t, ax_s = axes[0]
    x = np.array([t["fresh"] for t in points], dtype=float)

    def column(key: str) -> np.ndarray:
        return np.array([np.nan if t[key] is None else t[key] for t in points], dtype=float)

    each, best_fit = column("validation"), column("best_fitness")
    best_val = column("best_validation")
    ax_t.scatter(x, each, s=10, color=style.MUTED, alpha=0.5, label="validation of each",
                 zorder=2)
    ax_t.step(x, best_fit, where="post", color=style.TRUTH, linewidth=2.0,
              label="best fitness so far", zorder=4)
    ax_t.step(x, best_val, where="post", color=style.BEST, linewidth=2.0,
              label="validation of that best", zorder=4)
    if gelu is not None and gelu.objectives.get("validation") is not None:
        ax_t.axhline(gelu.objectives["validation"], color=style.BEST, linestyle=(0, (4, 2)),
                     linewidth=1.0, zorder=1)
        ax_t.text(1.0, gelu.objectives["validation"], "GELU validation ", color=style.BEST,
                  ha="right", va="bottom", fontsize=8, transform=ax_t.get_yaxis_transform())
    ax_t.axhline(0.0, color=style.MUTED, linestyle=(0, (4, 2)), linewidth=1.0, zorder=1)
    ax_t.set_xlabel("fresh lab evaluations")
    ax_t.set_ylabel("log OOD error vs ReLU")
    ax_t.set_title("selection fitness and held-out validation over the run")
    ax_t.legend(loc="best", fontsize=8)

    ok = [p for p in programs if p.fitness is not None and p.status == "ok"
          and p.objectives.get("validation") is not None]
    fx = np.array([p.fitness for p in ok], dtype=float)
    vy = np.array([p.objectives["validation"] for p in ok], dtype=float)
    ax_s.scatter(fx, vy, s=14, color=style.TRAIN, alpha=0.7, zorder=3, label="programs")
    if len(ok):
        lo, hi = float(min(fx.min(), vy.min())), float(max(fx.max(), vy.max()))
        ax_s.plot([lo, hi], [lo, hi], color=style.MUTED, linestyle=(0, (4, 2)), linewidth=1.0,
                  zorder=1, label="validation = fitness")
    for program, marker, label in ((gelu, "s", "GELU"), (champion, "*", "champion")):
        if program is not None and program.objectives.get("validation") is not None:
            ax_s.scatter([program.fitness], [program.objectives["validation"]], marker=marker,
                         s=180 if marker == "*" else 60, color=style.BEST, edgecolors="#222222",
                         linewidths=0.8, zorder=5, label=f"{label} (#{program.id})")
    ax_s.set_xlabel("selection fitness")
    ax_s.set_ylabel("validation (held out)")
    ax_s.set_title("each program: fitness against held-out validation")
    ax_s.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return style.to_png(fig)
