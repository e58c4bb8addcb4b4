"""The installed actmine version, recorded in run directories and cache namespaces."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def actmine_version() -> str:
    try:
        return version("actmine")
    except PackageNotFoundError:
        return "0+unknown"
