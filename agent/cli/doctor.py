"""``actmine doctor``: which sandbox protections this machine provides, each one measured
(the OS layers by the zygote's probe; the audit hook and the static filter by feeding them
programs they must stop), and the FLOP weight table."""

from __future__ import annotations

import json

import typer
from actmine.sandbox.errors import UserError

from .app import app
from .console import out
from .errors import handles_errors

# Read a file the sandbox lets the interpreter read: only the audit hook stands in the way.
_AUDIT_PROBE = "def activation(x):\n    open('/etc/hostname')\n    return x\n"
_STATIC_PROBES = ("import os\n\ndef activation(x):\n    return x\n",
                  "x: __import__('os').system('true') = 1\n\ndef activation(x):\n    return x\n")
_STATIC_GOOD = "import torch\n\ndef activation(x):\n    return torch.tanh(x)\n"


def check_audit_hook() -> dict:
    """The trip-wire must stop a plain ``open`` of a file outside the interpreter's tree,
    with every OS layer that could also refuse it switched off."""
    from actmine.sandbox.admission import admit_unfiltered

    result = admit_unfiltered(_AUDIT_PROBE,
                              without=("landlock", "seccomp", "uid_drop"))
    ok = result.category == "escape" and "open" in result.reason
    return {"ok": ok, "detail": "trip-wire on open/socket/subprocess/ctypes/imports (defence "
            "in depth)" if ok else f"did not trip: {result.category} {result.reason}"}


def check_static_filter() -> dict:
    """Hostile sources must be refused before anything runs, and a plain one accepted."""
    from actmine.sandbox.reasons import Rejection
    from actmine.sandbox.static_check import check_source

    refused = 0
    for source in _STATIC_PROBES:
        try:
            check_source(source)
        except Rejection:
            refused += 1
    try:
        check_source(_STATIC_GOOD)
        accepts = True
    except Rejection:
        accepts = False
    ok = refused == len(_STATIC_PROBES) and accepts
    return {"ok": ok, "detail": "AST allowlist before anything runs" if ok else
            f"refused {refused} of {len(_STATIC_PROBES)} hostile probes; accepts tanh: {accepts}"}


@app.command()
@handles_errors
def doctor(as_json: bool = typer.Option(False, "--json", help="print JSON"),
           strict: bool = typer.Option(False, "--strict",
                                       help="exit 1 when any sandbox protection is missing")):
    """Which sandbox protections this machine provides (measured), and the FLOP weights."""
    from actmine.sandbox.optable import FLOP_TABLE_VERSION, weight_table
    from actmine.sandbox.protections import LAYERS
    from actmine.sandbox.supervisor import ZygoteError, shared_zygote

    zygote = shared_zygote()
    try:
        zygote.start()
    except ZygoteError as exc:
        raise UserError(f"{exc}; reinstall with `make setup`") from None
    report = {**zygote.report, "audit_hook": check_audit_hook(),
              "static_filter": check_static_filter()}
    missing = sorted(name for name, layer in report.items() if not layer.get("ok"))
    weights = weight_table()
    if as_json:
        print(json.dumps({"protections": report, "missing": missing,
                          "flop_table_version": FLOP_TABLE_VERSION, "flop_weights": weights},
                         indent=2))
    else:
        for name, layer in report.items():
            mark = "[green]ok     [/green]" if layer.get("ok") else "[bold red]MISSING[/bold red]"
            out.print(f"{mark} {name:<18} {layer.get('detail', '')}", soft_wrap=True)
        for name in missing:
            out.print(f"[yellow]warning: {name} is unavailable, so candidates run without: "
                      f"{LAYERS.get(name, name)}[/yellow]", soft_wrap=True)
        by_weight: dict[int, list[str]] = {}
        for op, weight in weights.items():
            by_weight.setdefault(weight, []).append(op)
        out.print(f"\nFLOP weights per element (table v{FLOP_TABLE_VERSION}):")
        for weight in sorted(by_weight):
            out.print(f"  {weight:>2}: {', '.join(by_weight[weight])}", soft_wrap=True)
    if strict and missing:
        raise typer.Exit(1)
