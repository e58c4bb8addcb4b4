"""The embedded default proposer: evolution of expression trees, no model and no key needed.

Parents come from the program database; each child is one of point mutation, subtree
mutation, the "known activation plus a small term" perturbation, constant jitter, or
crossover of two parents. ``RandomProposer`` samples fresh trees (the best-of-N baseline
every evolutionary claim should beat).
"""

from __future__ import annotations

import random

from actmine.store.programs import Program

from ..proposal import Proposal
from . import expression as ex

OPERATORS = (
    ("point", 0.3, ex.point_mutation),
    ("subtree", 0.2, ex.subtree_mutation),
    ("perturb", 0.25, ex.perturb),
    ("jitter", 0.15, ex.jitter_constants),
)
CROSSOVER_RATE = 0.1


def _tree_of(program: Program) -> ex.Tree | None:
    tree = program.meta.get("tree")
    try:
        return ex.from_json(tree) if tree is not None else None
    except ValueError:
        return None


def seed_proposals() -> list[Proposal]:
    return [Proposal(ex.to_source(tree, f"seed: {name}"), "seed", meta={"tree": tree,
                                                                          "seed": name})
            for name, tree in ex.SEEDS.items()]


class SymbolicProposer:
    name = "symbolic"

    def propose(self, parents: list[Program], rng: random.Random) -> Proposal:
        trees = [(p, t) for p in parents if (t := _tree_of(p)) is not None]
        if not trees:
            name, tree = rng.choice(sorted(ex.SEEDS.items()))
            trees = [(None, tree)]
        for _ in range(20):
            parent, tree = trees[0]
            used = [parent]
            if len(trees) > 1 and rng.random() < CROSSOVER_RATE:
                other, other_tree = trees[1]
                child, op = ex.crossover(tree, other_tree, rng), "crossover"
                used.append(other)
            else:
                op, child = self._mutate(tree, rng)
            child = ex.repair(child)
            if child != tree and ex.uses_input(child) and ex.size(child) <= ex.MAX_SIZE:
                break
        ids = tuple(p.id for p in used if p is not None)
        return Proposal(ex.to_source(child), self.name, ids,
                        meta={"tree": child, "operator": op})

    @staticmethod
    def _mutate(tree: ex.Tree, rng: random.Random) -> tuple[str, ex.Tree]:
        ops = [o for o in OPERATORS if o[0] != "jitter" or ex.has_constant(tree)]
        name, _, fn = rng.choices(ops, weights=[o[1] for o in ops])[0]
        return name, fn(tree, rng)


class RandomProposer:
    name = "random"

    def propose(self, parents: list[Program], rng: random.Random) -> Proposal:
        for _ in range(20):
            tree = ex.repair(ex.random_tree(rng, depth=3))
            if ex.uses_input(tree) and ex.size(tree) <= ex.MAX_SIZE:
                break
        return Proposal(ex.to_source(tree), self.name, meta={"tree": tree, "operator": "random"})
