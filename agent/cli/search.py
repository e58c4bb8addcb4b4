"""``actmine search`` and ``actmine daemon``: run or resume a search in a run directory."""

from __future__ import annotations

from pathlib import Path

import typer
from actmine.sandbox.errors import UserError
from actmine.store.run_dir import open_run

from .. import api
from ..config import Settings, load_settings
from ..search.champion import find_champion
from .app import LAB_PROFILE_HELP, app
from .console import Reporter, best_against_references, leaderboard_table, out, spend_text
from .errors import handles_errors

LLM_HELP = "'local': add the bundled SmolLM2-135M (llama.cpp, loopback) to the ensemble"
FORCE_HELP = "resume even if the configuration changed"


@app.command()
@handles_errors
def search(run_dir: Path = typer.Option(..., "--run-dir", help="directory of the run (created or resumed)"),
           budget: int | None = typer.Option(None, help="fresh lab evaluations to spend in total"),
           config: Path | None = typer.Option(None, help="TOML config file"),
           proposer: str | None = typer.Option(None, help="symbolic (default) or random"),
           llm: str | None = typer.Option(None, "--llm", help=LLM_HELP),
           seed: int | None = typer.Option(None, help="search seed"),
           top: int = typer.Option(10, help="leaderboard rows to print"),
           force: bool = typer.Option(False, "--force", help=FORCE_HELP),
           lab_profile: str | None = typer.Option(None, "--lab-profile", help=LAB_PROFILE_HELP)):
    """Run (or resume) a search until the evaluation budget is spent."""
    settings = with_llm(load_settings(config, {"search.budget": budget,
                                               "search.proposer": proposer,
                                               "search.seed": seed,
                                               "lab.profile": lab_profile}), llm)
    summary = api.search(run_dir, settings, force=force, reporter=Reporter())
    run = open_run(run_dir, readonly=True)
    try:
        best = run.programs.best(top)
        programs = run.programs.all()
        champion = find_champion(programs)
        out.print(leaderboard_table(best, f"Leaderboard of {run_dir}", champion.to_dict()))
        out.print(f"{summary['fresh_evaluations']} evaluations, {summary['proposals']} proposals, "
                  f"{summary['admitted']} admitted, {summary['cache_hits']} cache hits"
                  f"{_near_text(summary)}; {spend_text(summary['usd'], summary['tokens'])}; "
                  f"stopped by {summary['stopped_by']}")
        if summary.get("rejections"):
            share = summary["admitted"] / max(1, summary["proposals"])
            counts = sorted(summary["rejections"].items(), key=lambda kv: -kv[1])
            out.print(f"admitted {share:.0%} of proposals; rejected: "
                      + ", ".join(f"{category} {n}" for category, n in counts))
        verdict = best_against_references(best[0] if best else None, programs)
        if verdict:
            out.print(verdict)
        out.print(champion.line())
        proxy = summary.get("proxy")
        if proxy and proxy["candidates"]:
            out.print(f"transfer proxy: {proxy['candidates']} candidates this time, "
                      f"{proxy['jobs']} jobs trained, {proxy['cpu_seconds']:.0f} CPU-seconds "
                      f"(apart from the evaluation budget)")
        out.print(f"run directory: {run_dir.resolve()}")
    finally:
        run.close()
    if summary["aborted"]:
        raise typer.Exit(130)  # interrupted: what a shell expects of a ^C'd command


@app.command()
@handles_errors
def daemon(run_dir: Path = typer.Option(..., "--run-dir", help="directory of the run (created or resumed)"),
           config: Path | None = typer.Option(None, help="TOML config file"),
           budget: int | None = typer.Option(None, help="fresh lab evaluations in total (overrides search.budget)"),
           llm: str | None = typer.Option(None, "--llm", help=LLM_HELP),
           force: bool = typer.Option(False, "--force", help=FORCE_HELP),
           lab_profile: str | None = typer.Option(None, "--lab-profile", help=LAB_PROFILE_HELP)):
    """Run until the budget is spent or SIGINT/SIGTERM, logging a status line a minute;
    restart it with the same command to resume from the store."""
    settings = with_llm(load_settings(config, {"search.budget": budget,
                                               "lab.profile": lab_profile}), llm)
    reporter = Reporter(interactive=False, per_program=False, summary_every=60.0)
    summary = api.search(run_dir, settings, force=force, reporter=reporter)
    out.print(f"daemon finished: stopped by {summary['stopped_by']}; "
              f"{summary['fresh_evaluations']} evaluations, {summary['proposals']} proposals"
              f"{_near_text(summary)}, ${summary['usd']:.4f}, {summary['tokens']} tokens")
    run = open_run(run_dir, readonly=True)
    try:
        out.print(find_champion(run.programs.all()).line())
    finally:
        run.close()
    if summary["aborted"]:
        raise typer.Exit(130)


def _near_text(summary: dict) -> str:
    near = summary.get("near_duplicates") or 0
    return f" ({near} near-duplicates, not trained again)" if near else ""


def with_llm(settings: Settings, llm: str | None) -> Settings:
    if llm is None:
        return settings
    if llm != "local":
        raise UserError(f"--llm {llm!r}: only 'local' (the bundled SmolLM2) is built in; "
                        f"add other models as [[models]] entries in --config")
    return settings.with_local_model()
