"""Lineage of a program: where it came from and what became of its children.

Parents, proposer, model and prompt template are columns of every program row; children are
found through the ``parents`` table. A proposer can show a model the reasons its earlier
children from a parent were rejected, and an exported module carries its ancestry.
"""

from __future__ import annotations

from dataclasses import dataclass

from .programs import Program, ProgramLog


@dataclass(frozen=True)
class Lineage:
    program: Program
    ancestors: tuple[Program, ...]  # breadth-first over parents, nearest first, each once
    children: tuple[Program, ...]  # finished children, oldest first

    @property
    def rejected_children(self) -> tuple[Program, ...]:
        return tuple(c for c in self.children if not c.admitted)

    def rejection_reasons(self) -> list[str]:
        return [f"[{c.category}] {c.reason}" for c in self.rejected_children]


def lineage_of(log: ProgramLog, program_id: int, max_ancestors: int = 64) -> Lineage | None:
    program = log.get(program_id)
    if program is None:
        return None
    seen = {program.id}
    frontier = list(program.parents)
    ancestors: list[Program] = []
    while frontier and len(ancestors) < max_ancestors:
        parent_id = frontier.pop(0)
        if parent_id in seen:
            continue
        seen.add(parent_id)
        parent = log.get(parent_id)
        if parent is None:
            continue
        ancestors.append(parent)
        frontier.extend(parent.parents)
    return Lineage(program, tuple(ancestors), tuple(log.children(program_id)))


def describe(program: Program) -> str:
    """One line: '#13 symbolic/perturb model=m template=t fitness -0.189'."""
    how = program.meta.get("operator") or program.meta.get("seed")
    parts = [f"#{program.id} {program.proposer}" + (f"/{how}" if how else "")]
    if program.model:
        parts.append(f"model={program.model}")
    if program.template:
        parts.append(f"template={program.template}")
    if program.fitness is not None:
        parts.append(f"fitness {program.fitness:+.4f}")
    elif not program.admitted and program.category:
        parts.append(f"rejected [{program.category}]")
    if program.parents:
        parts.append("from " + ", ".join(f"#{p}" for p in program.parents))
    return " ".join(parts)
