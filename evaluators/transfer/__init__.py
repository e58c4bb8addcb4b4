"""Downstream transfer: do an activation's lab gains carry over to real networks and data?

Benchmarks in four families (images, molecules, algorithmic reasoning, time series), all on
data that ships inside packages, trained on the trusted IR only. See ``registry.py`` for the
table of benchmarks, ``runner.py`` for how jobs run and are cached, ``summary.py`` for the
paper's summary view.
"""
