"""Molecules to graphs with RDKit, the Bemis-Murcko scaffold split, and graph batches.

A set of molecules is stored as flat numpy arrays (no pickle), so prepared sets can be
cached as ``.npz`` and memory-mapped by worker processes:

    x        (atoms, ATOM_FEATURES) float32   one-hot atom descriptors
    edges    (2, bonds*2) int64               directed bond pairs, local atom indices
    bonds    (bonds*2, BOND_FEATURES) float32
    atom_ptr (molecules+1,) int64             molecule m owns atoms atom_ptr[m]:atom_ptr[m+1]
    bond_ptr (molecules+1,) int64
    y        (molecules,) float32
    split    (molecules,) int8                0 train, 1 valid, 2 test
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch

ELEMENTS = ("C", "N", "O", "F", "P", "S", "Cl", "Br", "I")
ATOM_FEATURES = len(ELEMENTS) + 1 + 6 + 3 + 5 + 1 + 4  # element, degree, charge, Hs, aromatic, hybrid.
BOND_FEATURES = 6  # single, double, triple, aromatic, conjugated, in ring


def _one_hot(value, choices) -> list[float]:
    out = [0.0] * (len(choices) + 1)
    out[choices.index(value) if value in choices else len(choices)] = 1.0
    return out


def featurize(smiles: list[str], targets: list[float]) -> dict[str, np.ndarray]:
    """Unparseable SMILES and single atoms without bonds are kept out (counted in 'dropped')."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import HybridizationType as H

    RDLogger.DisableLog("rdApp.*")
    hybrid = [H.SP, H.SP2, H.SP3]
    xs, edges, bonds, atom_ptr, bond_ptr, ys, kept = [], [], [], [0], [0], [], []
    for i, (smi, target) in enumerate(zip(smiles, targets)):
        mol = Chem.MolFromSmiles(smi)
        if mol is None or mol.GetNumBonds() == 0:
            continue
        for atom in mol.GetAtoms():
            xs.append(_one_hot(atom.GetSymbol(), list(ELEMENTS))
                      + _one_hot(min(atom.GetDegree(), 5), list(range(5)))
                      + _one_hot(atom.GetFormalCharge(), [-1, 0])
                      + _one_hot(min(atom.GetTotalNumHs(), 4), list(range(4)))
                      + [float(atom.GetIsAromatic())]
                      + _one_hot(atom.GetHybridization(), hybrid))
        for bond in mol.GetBonds():
            kind = str(bond.GetBondType())
            feat = [float(kind == k) for k in ("SINGLE", "DOUBLE", "TRIPLE", "AROMATIC")]
            feat += [float(bond.GetIsConjugated()), float(bond.IsInRing())]
            a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
            edges += [(a, b), (b, a)]
            bonds += [feat, feat]
        atom_ptr.append(len(xs))
        bond_ptr.append(len(edges))
        ys.append(target)
        kept.append(i)
    return {
        "x": np.asarray(xs, np.float32).reshape(-1, ATOM_FEATURES),
        "edges": np.asarray(edges, np.int64).reshape(-1, 2).T.copy(),
        "bonds": np.asarray(bonds, np.float32).reshape(-1, BOND_FEATURES),
        "atom_ptr": np.asarray(atom_ptr, np.int64), "bond_ptr": np.asarray(bond_ptr, np.int64),
        "y": np.asarray(ys, np.float32), "kept": np.asarray(kept, np.int64),
    }


def scaffold_split(smiles: list[str], fractions=(0.8, 0.1, 0.1)) -> np.ndarray:
    """Deterministic Bemis-Murcko scaffold split (as in MoleculeNet/OGB): whole scaffold groups,
    largest first, fill train, then valid, then test, so test scaffolds are unseen."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    groups: dict[str, list[int]] = defaultdict(list)
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi)
        scaffold = MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False) if mol else ""
        groups[scaffold].append(i)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    split = np.full(len(smiles), 2, np.int8)
    train_cut, valid_cut = fractions[0] * len(smiles), sum(fractions[:2]) * len(smiles)
    filled = 0
    for group in ordered:
        if filled + len(group) <= train_cut:
            split[group] = 0
        elif filled + len(group) <= valid_cut:
            split[group] = 1
        filled += len(group)
    return split


@dataclass(frozen=True)
class GraphBatch:
    x: torch.Tensor
    edges: torch.Tensor  # (2, E) global atom indices
    bonds: torch.Tensor
    graph: torch.Tensor  # (atoms,) molecule index within the batch
    size: int  # molecules
    y: torch.Tensor


def make_batch(data: dict[str, np.ndarray], mols: np.ndarray, device: str) -> GraphBatch:
    ap, bp = data["atom_ptr"], data["bond_ptr"]
    xs, es, bs, gs = [], [], [], []
    offset = 0
    for j, m in enumerate(mols):
        a0, a1, b0, b1 = ap[m], ap[m + 1], bp[m], bp[m + 1]
        xs.append(data["x"][a0:a1])
        es.append(data["edges"][:, b0:b1] + offset)
        bs.append(data["bonds"][b0:b1])
        gs.append(np.full(a1 - a0, j, np.int64))
        offset += a1 - a0
    return GraphBatch(torch.from_numpy(np.concatenate(xs)).to(device),
                      torch.from_numpy(np.concatenate(es, axis=1)).to(device),
                      torch.from_numpy(np.concatenate(bs)).to(device),
                      torch.from_numpy(np.concatenate(gs)).to(device), len(mols),
                      torch.from_numpy(data["y"][mols]).to(device))
