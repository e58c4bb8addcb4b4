"""Export an IR as a standalone PyTorch module: ``import torch`` and nothing else.

The function is written out node by node from the canonical IR as plain torch calls (public
names where they call the very same ATen overload, ``torch.ops.aten`` otherwise), so it
reproduces the IR bit for bit; single-use values are inlined into one readable expression.
An ``nn.Module`` wrapper makes it a drop-in layer, and the module docstring carries fitness,
FLOPs and lineage. The proposal's source is quoted in the docstring (escaped) and is never
what runs: the code is rebuilt from the traced graph. The generated text is parsed back
and its shape checked before it is returned, so no input can smuggle code into it.
"""

from __future__ import annotations

import ast
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from actmine.sandbox.errors import UserError
from actmine.sandbox.ir import ActivationIR, DType, Ref
from actmine.sandbox.optable import FACTORY_OPS, packet_name

from .version import actmine_version

INFIX = {"aten.add.Tensor": "+", "aten.sub.Tensor": "-", "aten.mul.Tensor": "*",
         "aten.div.Tensor": "/"}
COMMUTATIVE_INFIX = {"aten.add.Tensor", "aten.mul.Tensor"}  # IEEE + and * commute exactly
# torch.nn.functional spellings whose positional parameters match the ATen op's (up to n).
FUNCTIONAL = {"gelu": 1, "silu": 1, "mish": 1, "hardsigmoid": 1, "elu": 2, "leaky_relu": 2,
              "softplus": 3, "hardtanh": 3}
FUNCTIONAL_KWARGS = {"gelu": {"approximate"}}
INLINE_WIDTH = 72


class ExportError(UserError):
    """Nothing to export, or an ambiguous choice (one line, names the fix)."""


@dataclass(frozen=True)
class ExportInfo:
    """What the module docstring says about the function."""

    ir_hash: str
    flops: int | None = None
    fitness: float | None = None
    status: str | None = None
    stage: str | None = None
    lab_hash: str | None = None
    program_id: int | None = None
    run: str | None = None
    lineage: tuple[str, ...] = ()
    source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------- the code
def _literal(value) -> str:
    if isinstance(value, DType):
        return f"torch.{value.name}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    return repr(value)


@dataclass(frozen=True)
class _Expr:
    text: str
    compound: bool  # needs parentheses as an operand of an infix operator


def _render_node(node, args: list[_Expr], kwargs: list[tuple[str, _Expr]]) -> _Expr:
    op, packet = node.op, packet_name(node.op)
    first_is_value = bool(node.args) and isinstance(node.args[0], Ref)

    def operand(e: _Expr) -> str:
        return f"({e.text})" if e.compound else e.text

    def call(fn: str, extra: list[str] = ()) -> _Expr:
        parts = [a.text for a in args] + [f"{k}={v.text}" for k, v in kwargs] + list(extra)
        return _Expr(f"{fn}({', '.join(parts)})", False)

    if op in FACTORY_OPS:  # like the interpreter: constants live on the input's device
        name = f"torch.{packet}" if hasattr(torch, packet) else f"torch.ops.{op}"
        return call(name, ["device=x.device"])
    if op in INFIX and len(args) == 2 and not kwargs:
        a, b = args
        if not first_is_value:
            if op not in COMMUTATIVE_INFIX:
                return call(f"torch.ops.{op}")
            a, b = b, a
        return _Expr(f"{operand(a)} {INFIX[op]} {operand(b)}", True)
    if op == "aten.neg.default" and len(args) == 1 and not kwargs:
        return _Expr(f"-{operand(args[0])}", True)
    if not first_is_value:
        return call(f"torch.ops.{op}")
    if (packet in FUNCTIONAL and op.endswith(".default") and len(args) <= FUNCTIONAL[packet]
            and {k for k, _ in kwargs} <= FUNCTIONAL_KWARGS.get(packet, set())):
        return call(f"torch.nn.functional.{packet}")
    if hasattr(torch, packet) and not packet.startswith("_"):
        return call(f"torch.{packet}")
    return call(f"torch.ops.{op}")


def function_lines(ir: ActivationIR) -> list[str]:
    """The body of ``activation(x)``: values used once are inlined into their consumer;
    reused values, and parts of expressions that grow too long, become variables."""
    uses: dict[int, int] = {}
    for node in ir.nodes:
        for a in list(node.args) + [v for _, v in node.kwargs]:
            if isinstance(a, Ref):
                uses[a.index] = uses.get(a.index, 0) + 1
    exprs: dict[int, _Expr] = {0: _Expr("x", False)}
    inlined: set[int] = set()
    lines: list[str] = []

    def value(a) -> _Expr:
        return exprs[a.index] if isinstance(a, Ref) else _Expr(_literal(a), False)

    def name(index: int) -> None:
        var = f"v{len(lines) + 1}"
        lines.append(f"{var} = {exprs[index].text}")
        exprs[index] = _Expr(var, False)
        inlined.discard(index)

    for i, node in enumerate(ir.nodes, start=1):
        def render(node=node) -> _Expr:
            return _render_node(node, [value(a) for a in node.args],
                                [(k, value(v)) for k, v in node.kwargs])

        expr = render()
        children = {a.index for a in list(node.args) + [v for _, v in node.kwargs]
                    if isinstance(a, Ref) and a.index in inlined}
        for child in sorted(children, key=lambda c: -len(exprs[c].text)):
            if len(expr.text) <= INLINE_WIDTH:
                break
            name(child)  # split the longest inlined part out, then try again
            expr = render()
        exprs[i] = expr
        if i == ir.output.index:
            break
        if uses.get(i, 0) == 1 and len(expr.text) <= INLINE_WIDTH:
            inlined.add(i)
        else:
            name(i)
    lines.append(f"return {exprs[ir.output.index].text}")
    return lines


# ------------------------------------------------------------ the docstring
def _escape(text: str) -> str:
    """Make arbitrary text safe inside a triple-quoted docstring (it reads back unchanged)."""
    out = []
    for ch in text.replace("\t", "    "):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n" or ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def docstring(info: ExportInfo) -> str:
    lines = [f"Activation {info.ir_hash[:12]}, discovered by actmine.", ""]
    if info.fitness is not None:
        lines.append(f"fitness    {info.fitness:+.4f} ({math.exp(info.fitness):.3f} x ReLU's "
                     f"out-of-distribution error; lower is better)")
        lines.append(f"status     {info.status or '?'}, stage {info.stage or '?'}, "
                     f"lab {info.lab_hash or '?'}")
    else:
        lines.append(f"fitness    not evaluated under lab {info.lab_hash or '?'}")
    lines.append(f"FLOPs      {info.flops if info.flops is not None else '?'} per element")
    lines.append(f"IR         {info.ir_hash}")
    if info.program_id is not None:
        lines.append(f"program    #{info.program_id} of run {info.run}")
    lines.extend(info.notes)
    if info.lineage:
        lines += ["", "Lineage (this program first, then its ancestors):"]
        lines += [f"    {entry}" for entry in info.lineage]
    lines += ["", f"Exported by actmine {actmine_version()} on "
                  f"{time.strftime('%Y-%m-%d', time.gmtime())}; needs only PyTorch."]
    if info.source:
        lines += ["", "Source as proposed (for reference; the code below is rebuilt from the "
                      "traced IR):", ""]
        lines += [f"    {line}" for line in info.source.rstrip().splitlines()]
    return "\n".join(line.rstrip() for line in lines)


def render_module(ir: ActivationIR, info: ExportInfo) -> str:
    text = docstring(info)
    body = "\n".join(f"    {line}" for line in function_lines(ir.canonical()))
    code = (f'"""{_escape(text)}\n"""\n\n'
            "import torch\n\n"
            '__all__ = ["activation", "Activation"]\n\n\n'
            "def activation(x: torch.Tensor) -> torch.Tensor:\n"
            f"{body}\n\n\n"
            "class Activation(torch.nn.Module):\n"
            '    """``activation`` as a layer, e.g. inside ``torch.nn.Sequential``."""\n\n'
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            "        return activation(x)\n")
    _check_shape(code, text + "\n")
    return code


def _check_shape(code: str, expected_doc: str) -> None:
    """Defence in depth: the module is a docstring, ``import torch`` and our two defs."""
    tree = ast.parse(code)
    kinds = [type(node).__name__ for node in tree.body]
    if (kinds != ["Expr", "Import", "Assign", "FunctionDef", "ClassDef"]
            or ast.get_docstring(tree, clean=False) != expected_doc
            or [a.name for a in tree.body[1].names] != ["torch"]):
        raise ExportError("internal error: the generated module has an unexpected shape")


def write_module(path: Path | str, code: str) -> Path:
    """Write atomically: a reader never sees half a module."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(code)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror}; choose a writable path") from None
    return path


# ------------------------------------------------------------ what to export
def _one_ir(matches: list[str], prefix: str, where: str) -> str:
    if not matches:
        raise ExportError(f"no IR starting with {prefix!r} in {where}; copy a hash from "
                          f"'actmine status' or 'actmine check --json'")
    if len(matches) > 1:
        raise ExportError(f"IR prefix {prefix!r} is ambiguous in {where} ({len(matches)} "
                          f"matches); give more characters")
    return matches[0]


def from_run(run, *, rank: int | None = None, program_id: int | None = None,
             ir_prefix: str | None = None) -> tuple[ActivationIR, ExportInfo]:
    """The IR and its story from a run directory (``run`` is a ``store.run_dir.RunDir``)."""
    from .lineage import describe, lineage_of

    log = run.programs
    if ir_prefix:
        ir_hash = _one_ir(log.find_irs(ir_prefix), ir_prefix, str(run.path))
        program = log.best_for_ir(ir_hash)
    elif program_id is not None:
        program = log.get(program_id)
        if program is None or program.ir_hash is None:
            raise ExportError(f"program #{program_id} of {run.path} "
                              f"{'does not exist' if program is None else 'was not admitted'}; "
                              f"pick one from 'actmine status --run-dir {run.path}'")
    else:
        rank = rank or 1
        best = log.best(rank)
        if len(best) < rank:
            raise ExportError(f"{run.path} has {len(best)} evaluated functions, so there is no "
                              f"rank {rank}; pick a rank from 1 to {len(best)}"
                              if best else f"{run.path} has no evaluated function yet")
        program = best[rank - 1]
    ir_hash = program.ir_hash
    ir_dict = run.cache.get_ir(ir_hash)
    if ir_dict is None:
        raise ExportError(f"the IR of {ir_hash} is missing from {run.path}; export it from the "
                          f"shared cache with 'actmine export --ir {ir_hash}'")
    lineage = lineage_of(log, program.id)
    info = ExportInfo(
        ir_hash=ir_hash, flops=program.flops, fitness=program.fitness, status=program.status,
        stage=program.stage, lab_hash=program.lab_hash,
        program_id=program.id, run=str(run.path.resolve()),
        lineage=tuple(describe(p) for p in (program, *lineage.ancestors)) if lineage else (),
        source=program.source)
    return ActivationIR.from_dict(ir_dict), info


def from_cache(cache, ir_prefix: str, lab_hash: str | None) -> tuple[ActivationIR, ExportInfo]:
    """The IR from a cache directory (the user-level shared cache), fitness under ``lab_hash``."""
    from actmine.sandbox.flops import flops_per_element

    ir_hash = _one_ir(cache.find_irs(ir_prefix), ir_prefix, str(cache.directory))
    ir = ActivationIR.from_dict(cache.get_ir(ir_hash))
    evaluation = cache.get_evaluation(lab_hash, ir_hash) if lab_hash else None
    info = ExportInfo(ir_hash=ir_hash, flops=flops_per_element(ir), lab_hash=lab_hash,
                      fitness=evaluation.get("fitness") if evaluation else None,
                      status=evaluation.get("status") if evaluation else None,
                      stage=evaluation.get("stage") if evaluation else None)
    return ir, info
