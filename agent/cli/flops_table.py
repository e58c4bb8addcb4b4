"""`actmine flops FILES...`: the FLOPs-per-element table of some candidate files.

The table of known activations in docs/admission.md is this command's ``--markdown``
output, pasted,
and a test keeps the two identical.
"""

from __future__ import annotations

from actmine.sandbox.admission import Admission


def cost_breakdown(admission: Admission) -> str:
    """'gelu 12 + sin 8 + mul 1 + add 1': costs per op, summed per op, in graph order."""
    totals: dict[str, int] = {}
    for op, cost in admission.flops_breakdown:
        name = op.split(".")[1] if op.count(".") >= 2 else op
        totals[name] = totals.get(name, 0) + cost
    parts = [f"{name} {cost}" for name, cost in totals.items() if cost]
    return " + ".join(parts) if parts else "free"


def markdown_table(rows: list[tuple[str, Admission]]) -> str:
    lines = ["| activation | FLOPs/element | ops | cost by op |", "|---|---:|---:|---|"]
    for name, admission in rows:
        if admission.admitted:
            lines.append(f"| {name} | {admission.flops} | {admission.nodes} | "
                         f"{cost_breakdown(admission)} |")
        else:
            lines.append(f"| {name} | rejected ({admission.category}) | | "
                         f"{admission.reason.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def rich_table(rows: list[tuple[str, Admission]]):
    from rich.table import Table

    table = Table(title="FLOPs per element (weights: `actmine doctor`)", title_justify="left")
    for column, justify in (("activation", "left"), ("FLOPs", "right"), ("ops", "right"),
                            ("cost by op", "left"), ("IR hash", "left")):
        table.add_column(column, justify=justify)
    for name, admission in rows:
        if admission.admitted:
            table.add_row(name, str(admission.flops), str(admission.nodes),
                          cost_breakdown(admission), admission.ir_hash or "")
        else:
            table.add_row(name, f"[red]{admission.category}[/red]", "", admission.reason, "")
    return table
