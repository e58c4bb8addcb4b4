"""The search loop and what it keeps in flight.

    orchestrator  the anyio event loop: proposals in flight, budgets, signals, resume
    pipeline      one child through admission and evaluation, against the budget
    ensemble      which member proposes next (weights, bandit)
    runstats      totals rebuilt from the store;  live: live.json;  events: structlog
    champion      the best that also beats GELU on validation and the proxy (pure)
    curves        near-duplicates: curves of evaluated functions, matched before training
"""
