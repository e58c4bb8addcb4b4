"""``actmine check`` (admission only) and ``actmine flops`` (the FLOP table of files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio
import typer

from .. import api
from ..config import load_settings
from .app import app
from .console import json_safe, out
from .errors import handles_errors, read_candidate
from .flops_table import cost_breakdown, markdown_table, rich_table


def admission_payload(file: Path, admission) -> dict:
    return json_safe({"file": str(file), "verdict": "admitted" if admission.admitted else "rejected",
                      "category": admission.category, "reason": admission.reason,
                      "flops": admission.flops, "nodes": admission.nodes,
                      "ir_hash": admission.ir_hash, "seconds": round(admission.seconds, 4),
                      "flops_breakdown": [list(row) for row in admission.flops_breakdown],
                      "ir": admission.ir.to_dict() if admission.ir else None})


@app.command()
@handles_errors
def check(file: Path = typer.Argument(..., help="Python file defining activation(x)"),
          as_json: bool = typer.Option(False, "--json", help="print JSON"),
          config: Path | None = typer.Option(None, help="TOML config ([admission] section)")):
    """Admission only: is the function allowed (pointwise, within the FLOP budget)?"""
    admission = api.check(read_candidate(file), load_settings(config))
    if as_json:
        print(json.dumps(admission_payload(file, admission), indent=2))
    elif admission.admitted:
        out.print(f"admitted: {admission.flops} FLOPs/element ({cost_breakdown(admission)}), "
                  f"{admission.nodes} ops, IR {admission.ir_hash}", soft_wrap=True, markup=False)
    else:
        print(f"rejected [{admission.category}]: {admission.reason}", file=sys.stderr)
    if not admission.admitted:
        raise typer.Exit(1)


@app.command()
@handles_errors
def flops(files: list[Path] = typer.Argument(..., help="Python files defining activation(x)"),
          markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table"),
          config: Path | None = typer.Option(None, help="TOML config ([admission] section)")):
    """FLOPs per element of each file's traced IR (the docs' table is this output)."""
    sources = [(path.stem, read_candidate(path)) for path in files]

    async def admit_all(lab):
        return [(name, await api.check_async(lab, source)) for name, source in sources]

    with api.session(load_settings(config)) as lab:
        rows = anyio.run(admit_all, lab)
    if markdown:
        print(markdown_table(rows), end="")
    else:
        out.print(rich_table(rows))
    if not all(admission.admitted for _, admission in rows):
        raise typer.Exit(1)
