"""The symbolic proposer: its trees pass admission, admitted IRs read back into trees that
compute the same function, and a model's function becomes a symbolic parent."""

from __future__ import annotations

import random

import anyio
import pytest
import torch
from actmine.agent.proposers import expression as ex
from actmine.agent.proposers.from_ir import tree_of_ir
from actmine.agent.proposers.members import EmbeddedMember, SearchView
from actmine.agent.proposers.symbolic import RandomProposer, SymbolicProposer
from actmine.evaluators.known import BASELINE, with_role
from actmine.sandbox.admission import admit
from actmine.store.database import DatabaseConfig, ProgramDatabase
from actmine.store.programs import Program

pytestmark = pytest.mark.fast  # make test-fast

BASELINES = with_role(BASELINE)
GRID = torch.linspace(-6, 6, 301)


def _same_function(ir_a, ir_b) -> bool:
    return torch.allclose(ir_a.to_callable()(GRID), ir_b.to_callable()(GRID), rtol=1e-5,
                          atol=1e-6, equal_nan=True)


def test_random_trees_read_back_from_their_ir_compute_the_same_function():
    rng = random.Random(11)
    read = 0
    for _ in range(25):
        tree = ex.repair(ex.random_tree(rng, depth=3))
        first = admit(ex.to_source(tree))
        if not first.admitted:
            continue
        again = tree_of_ir(first.ir)
        assert again is not None, ex.to_expr(tree)
        second = admit(ex.to_source(again))
        assert second.admitted and _same_function(first.ir, second.ir), ex.to_expr(tree)
        read += 1
    assert read >= 15


def test_known_activations_written_by_hand_read_back_as_trees():
    readable = {}
    for baseline in BASELINES:
        admission = admit(baseline.source)
        tree = tree_of_ir(admission.ir)
        readable[baseline.name] = tree is not None
        if tree is not None:
            assert _same_function(admission.ir, admit(ex.to_source(tree)).ir), baseline.name
    assert readable["GELUSine"] and readable["GELU-Sinc"] and readable["GMTU"]
    assert readable["Snake"] and readable["ReLU"]
    assert not readable["Mish"]  # F.mish is not a primitive of the tree language


def test_an_unreadable_ir_is_not_a_parent_but_no_error():
    clamp = admit("import torch\ndef activation(x):\n    return torch.clamp(x, -1.0, 2.0)\n")
    assert clamp.admitted and tree_of_ir(clamp.ir) is None


def test_a_model_written_parent_is_mutated_through_its_ir():
    source = ("import torch\nimport torch.nn.functional as F\n\n"
              "def activation(x):\n    # written by a language model\n"
              "    y = F.gelu(x)\n    return y + 0.2 * torch.sin(3.0 * x)\n")
    admission = admit(source)
    parent = Program(id=7, proposer="llm", source=source, admitted=True, model="smollm2",
                     ir_hash=admission.ir_hash, fitness=-0.5, stage="full", status="ok")
    irs = {admission.ir_hash: admission.ir.to_dict()}
    view = SearchView(ProgramDatabase(DatabaseConfig()), lambda n: [], lambda p: {},
                      irs.get)
    member = EmbeddedMember(SymbolicProposer())

    async def propose(seed: int):
        return await member.propose(100 + seed, random.Random(seed), [parent], view)

    children = [anyio.run(propose, seed) for seed in range(6)]
    for child in children:
        assert child.parents == (7,) and child.meta["operator"] != "random"
        assert admit(child.source).admitted
    # Some children keep the parent's shape: gelu and the sine survive most mutations.
    assert any("F.gelu" in c.source and "torch.sin" in c.source for c in children)


def test_random_baseline_ignores_parents():
    parent = Program(id=3, proposer="seed", source="", admitted=True,
                     meta={"tree": ex.SEEDS["gelu"]}, fitness=-0.6)
    proposal = RandomProposer().propose([parent], random.Random(0))
    assert proposal.parents == () and proposal.meta["operator"] == "random"
    assert admit(proposal.source).admitted


def test_repaired_trees_never_call_torch_on_a_bare_number():
    # gate(x, 0.5) would be x * torch.sigmoid(0.5): a TypeError at trace time.
    for op in ("gate", "div", "max", "min"):
        for tree in (("b", op, ex.X, ("c", 0.5)), ("b", op, ("c", 0.5), ex.X)):
            admission = admit(ex.to_source(ex.repair(tree)))
            assert admission.admitted, (op, tree, admission.reason)
