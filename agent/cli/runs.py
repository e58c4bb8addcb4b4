"""Commands that read a run directory: ``status``, ``report`` and ``export``."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import typer
from actmine.sandbox.errors import UserError
from actmine.store import export as exporting
from actmine.store.cache import ResultCache, shared_cache_dir
from actmine.store.run_dir import open_run

from ..config import load_settings
from ..search.champion import find_champion
from .app import app
from .console import err
from .console import out as console
from .errors import handles_errors
from .status import print_status, status_payload


@app.command()
@handles_errors
def status(run_dir: Path = typer.Option(..., "--run-dir", help="run directory"),
           as_json: bool = typer.Option(False, "--json", help="print JSON"),
           top: int = typer.Option(10, help="leaderboard rows")):
    """Leaderboard, throughput, spend and rejections of a live or finished run."""
    run = open_run(run_dir, readonly=True)  # safe while a search writes the same run
    try:
        payload = status_payload(run, top)
        if as_json:
            print(json.dumps(payload, indent=2))
        else:
            print_status(console, payload)
    finally:
        run.close()


@app.command()
@handles_errors
def report(run_dir: Path = typer.Option(..., "--run-dir", help="run directory (live or finished)"),
           out: Path | None = typer.Option(None, "--out", help="HTML file to write (default DIR/report.html)"),
           top: int = typer.Option(20, help="leaderboard rows")):
    """One self-contained HTML report: leaderboard, functions, fits, lineage, admission, spend."""
    from ..report import build_report

    if out is not None and out.is_dir():
        raise UserError(f"--out {out} is a directory; pass a file name such as {out / 'report.html'}")
    try:
        result = build_report(run_dir, out, top=top)
    except OSError as exc:
        raise UserError(f"cannot write the report: {exc.strerror or exc} ({exc.filename}); "
                        f"choose another --out") from None
    print(f"{result.path} ({result.size / 1e6:.2f} MB, {result.images} figures, "
          f"{result.programs} programs, {result.seconds:.1f} s)")


@app.command()
@handles_errors
def export(run_dir: Path | None = typer.Option(None, "--run-dir", help="run to export from"),
           rank: int | None = typer.Option(None, "--rank", min=1,
                                           help="leaderboard rank (default 1, the best)"),
           program_id: int | None = typer.Option(None, "--id", help="program id"),
           champion: bool = typer.Option(False, "--champion", help="the run's champion: the "
                                         "best that beats GELU on validation and the proxy"),
           ir: str | None = typer.Option(None, "--ir", help="IR hash or unique prefix; without "
                                         "--run-dir it is looked up in the shared cache"),
           out_file: Path | None = typer.Option(None, "--out", help="file to write (default: "
                                                "print to stdout)"),
           config: Path | None = typer.Option(None, help="TOML config (lab and shared cache for "
                                              "--ir without --run-dir)")):
    """Write a function as a standalone PyTorch module (imports torch only)."""
    if sum(x is not None for x in (rank, program_id, ir)) + champion > 1:
        raise UserError("choose one of --rank, --id, --ir and --champion")
    if run_dir is None and (ir is None or champion):
        raise UserError("pass --run-dir DIR (with --rank K, --id N or --champion) or --ir HASH")
    if run_dir is not None:
        run = open_run(run_dir, readonly=True)
        try:
            if champion:
                program_id, note = _champion(run, run_dir)
            function, info = exporting.from_run(run, rank=rank, program_id=program_id,
                                                ir_prefix=ir)
            if champion:
                info = replace(info, notes=(*info.notes, note))
        finally:
            run.close()
    else:
        settings = load_settings(config)
        directory = settings.cache.shared_dir() or shared_cache_dir()
        if not directory.exists():
            raise UserError(f"the shared cache {directory} does not exist; pass --run-dir")
        cache = ResultCache(directory)
        try:
            function, info = exporting.from_cache(cache, ir, settings.lab.to_config().hash)
        finally:
            cache.close()
    code = exporting.render_module(function, info)
    if out_file is None:
        sys.stdout.write(code)
        return
    exporting.write_module(out_file, code)
    fitness = f"fitness {info.fitness:+.4f}, " if info.fitness is not None else ""
    err.print(f"wrote {out_file}: activation {info.ir_hash[:12]} ({fitness}{info.flops} "
              f"FLOPs/element); use it as {out_file.stem}.Activation()")


def _champion(run, run_dir: Path) -> tuple[int, str]:
    """The champion's program id and a docstring note, or a one-line error naming the fix."""
    verdict = find_champion(run.programs.all())
    if verdict.program is None:
        raise UserError(f"{run_dir} has no champion: {verdict.why_none}; export the lab's best "
                        f"with --rank 1, or run the search longer")
    return verdict.program.id, f"champion   beats {verdict.beats()}"
