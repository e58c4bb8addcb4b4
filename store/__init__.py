"""actmine store: what a run remembers.

    run_dir    run directories (metadata, lock, atomic creation, refusal of foreign/damaged)
    cache      result caches by hash: per run and user-level shared (JSON on diskcache)
    programs   the program log (SQLite WAL): every proposal, in flight then finished
    features   behavioural features of an IR;  cells: the MAP-Elites grid over them
    islands    one island's archive and sampling;  database: islands, migration, reset
    lineage    ancestors and children of a program
    export     an IR as a standalone PyTorch module
"""
