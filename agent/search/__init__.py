"""The search loop and what it keeps in flight.

    orchestrator  the anyio event loop: proposals in flight, budgets, signals, resume
    pipeline      one child through admission and evaluation, against the budget
    ensemble      which member proposes next (weights, bandit)
    runstats      totals rebuilt from the store;  live: live.json;  events: structlog
"""
