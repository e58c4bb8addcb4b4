"""Benchmarks behind ``actmine bench ...`` (agent/cli/bench.py prints them): each measures
two ways of doing the same work side by side in one run and reports ratios, never timed
assertions (shared machines are noisy).

    pipeline   evaluator utilisation with many model requests in flight vs one at a time
    search     symbolic evolution against random sampling at the same budget and seeds
    report     the HTML report of a synthetic 1,000-program run: time and size
"""
