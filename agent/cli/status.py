"""``actmine status``: the state of a live or finished run, from its store (and, while a
search holds the directory, from its live.json): leaderboard, throughput, spend per
member, faults and the rejection breakdown."""

from __future__ import annotations

import time
from collections import Counter

from actmine.store.programs import Program
from actmine.store.run_dir import RunDir
from rich.table import Table

from ..search.champion import find_champion
from ..search.live import read_live
from ..search.runstats import RunTotals
from .console import leaderboard_rows, leaderboard_table, live_line, spend_text


def status_payload(run: RunDir, top: int = 10) -> dict:
    programs = run.programs.all()
    champion = find_champion(programs).to_dict()
    totals = RunTotals.from_programs(programs, run.programs.in_flight())
    live = read_live(run.path)
    examples: dict[str, str] = {}
    for p in reversed(programs):
        if not p.admitted and p.category not in examples:
            examples[p.category or "unknown"] = p.reason or ""
    return {
        "run_dir": str(run.path),
        "running": live is not None,
        "running_pid": live.get("pid") if live is not None else None,
        "live": live,
        "counts": run.programs.counts(),
        "leaderboard": leaderboard_rows(run.programs.best(top), champion),
        "champion": champion,
        "throughput": totals.throughput(),
        "spend": {"tokens": totals.spent.tokens, "usd": round(totals.spent.usd, 6)},
        "members": {name: m.to_dict() for name, m in sorted(totals.members.items())},
        "faults": dict(totals.faults()),
        "rejections": [{"category": c, "count": n, "example": examples.get(c, "")}
                       for c, n in totals.rejections.most_common()],
        "proxy": _proxy_totals(run, programs),
    }


def _proxy_totals(run: RunDir, programs) -> dict | None:
    """The transfer-proxy stage's cost, from the run's own store (apart from the lab's)."""
    directory = run.path / "transfer"
    if not directory.exists():
        return None
    from actmine.evaluators.transfer.runner import ResultStore

    store = ResultStore(directory)
    try:
        totals = store.totals()
    finally:
        store.close()
    totals["candidates"] = sum("proxy" in p.objectives for p in programs)
    return totals


def print_status(console, payload: dict) -> None:
    run_dir = payload["run_dir"]
    live = payload["live"]
    if live is not None:
        age = time.time() - live.get("updated", time.time())
        state = f"running (pid {live.get('pid', '?')}, updated {age:.0f}s ago)"
        if live.get("stopping"):
            state += ", stopping"
    else:
        state = "not running"
    console.print(f"[bold]{run_dir}[/bold]: {state}")
    if live and live.get("budget"):
        console.print(f"  now: {live_line(live)}")
    if live and live.get("executor"):
        e = live["executor"]
        where = f" at {e['ray_address']} ({e.get('nodes', '?')} nodes)" if e["kind"] == "ray" else ""
        console.print(f"  executor: {e['kind']}{where}, {e['workers']} workers x "
                      f"{e['candidates_per_batch']} candidates per batch; {e['batches']} "
                      f"batches, {e['retries']} retried after a lost worker")
    console.print(leaderboard_table(_programs_for_table(payload), f"Leaderboard of {run_dir}",
                                    payload["champion"]))
    console.print(payload["champion"]["line"])
    c = payload["counts"]
    near = c.get("near_duplicates", 0)
    saved = f", {near} near-duplicates (evaluations saved)" if near else ""
    console.print(f"proposals {c['proposals']}, admitted {c['admitted']}, evaluated "
                  f"{c['evaluated']} ({c['fresh_evaluations']} fresh, {c['cache_hits']} cache "
                  f"hits{saved}); model spend: "
                  f"{spend_text(payload['spend']['usd'], payload['spend']['tokens'])}")
    t = payload["throughput"]
    if t["evaluations_per_min"] is not None:
        console.print(f"throughput: {t['proposals_per_min']} proposals/min, "
                      f"{t['evaluations_per_min']} evaluations/min "
                      f"({t['recent_evaluations_per_min']} over the last 10 min)")
    else:
        console.print("throughput: too few seconds of history to tell")
    proxy = payload.get("proxy")
    if proxy:
        console.print(f"transfer proxy ({', '.join(proxy['benchmarks']) or 'no benchmark'}): "
                      f"{proxy['candidates']} candidates, {proxy['jobs']} jobs, "
                      f"{proxy['cpu_seconds']:.0f} CPU-seconds, apart from the lab's budget")
    console.print(_members_table(payload["members"]))
    faults = _faults_lines(payload["members"])
    if faults:
        console.print("model faults (per attempt; transient ones were retried):")
        for line in faults:
            console.print(line)
    if payload["rejections"]:
        console.print(_rejections_table(payload["rejections"], c["proposals"]))


def _programs_for_table(payload: dict) -> list[Program]:
    return [Program(id=r["id"], proposer=r["proposer"], source=r["source"], admitted=True,
                    fitness=r["fitness"], flops=r["flops"], stage=r["stage"],
                    status=r["status"], ir_hash=r["ir_hash"], model=r.get("model"),
                    objectives=r.get("objectives") or {})
            for r in payload["leaderboard"]]


def _members_table(members: dict) -> Table:
    table = Table(title="Proposers", title_justify="left")
    for col in ("member", "props", "admit", "evals", "best", "reqs", "tokens", "USD",
                "s/req"):
        table.add_column(col, justify="left" if col == "member" else "right")
    for name, m in members.items():
        share = f"{100 * m['admitted'] / m['proposals']:.0f}%" if m["proposals"] else "-"
        asked = bool(m["requests"])
        table.add_row(name, str(m["proposals"]), share, str(m["evaluated"]),
                      f"{m['best']:+.3f}" if m["best"] is not None else "-",
                      str(m["requests"]) if asked else "-",
                      f"{(m['input_tokens'] + m['output_tokens']) / 1000:.1f}k" if asked else "-",
                      f"{m['usd']:.4f}" if asked else "-",
                      str(m["mean_request_seconds"] or "-"))
    return table


def _faults_lines(members: dict) -> list[str]:
    lines = []
    for name, m in members.items():
        if m["faults"]:
            parts = ", ".join(f"{k} {v}" for k, v in Counter(m["faults"]).most_common())
            lines.append(f"  {name}: {parts}; {m['failed_requests']} request(s) failed for good")
    return lines


def _rejections_table(rejections: list[dict], proposals: int) -> Table:
    table = Table(title="Rejections", title_justify="left")
    table.add_column("category")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    table.add_column("latest reason")
    for r in rejections:
        reason = r["example"] if len(r["example"]) <= 90 else r["example"][:89] + "…"
        table.add_row(r["category"], str(r["count"]),
                      f"{100 * r['count'] / max(proposals, 1):.0f}%", reason)
    return table
