"""A language model as an ensemble member: choose a prompt kind, render it from the
search state, ask the model, turn the answer into candidate source.

Prompt kinds: ``rewrite`` (improve a parent, full module), ``diff`` (SEARCH/REPLACE edits
to a parent), ``crossover`` (combine two parents), ``repair`` (fix a recently rejected
child using the checker's reason). Whatever goes wrong (the request, the answer, the
diff) comes back as a failed Proposal with a category and reason, so it is stored and
counted like any rejection.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import anyio
from actmine.sandbox.ir import ActivationIR, IRError
from actmine.sandbox.reasons import Category
from actmine.store.programs import Program

from ..budget import Budget
from ..config import AdmissionSettings, ModelSettings, PromptSettings
from ..proposal import Proposal
from ..proposers.members import SearchView
from .client import ChatClient, ChatResult, LLMError
from .diagnostics import lab_notes, notes_text, shape_notes, validation_text
from .diff import apply_diff, diff_blocks
from .parse import ParseFailure, check_size, extract_code, tidy
from .prompts import PLACEHOLDERS, TemplateSet

MAX_STORED_RESPONSE = 4000
REPAIRABLE = frozenset(c.value for c in Category) - {Category.ESCAPE.value}


@dataclass(frozen=True)
class Parent:
    """A program to show the model (or a seed before anything was evaluated)."""

    id: int | None
    source: str
    fitness: float | None
    flops: int | None
    families: dict[str, float]
    validation: float | None = None  # held-out validation score (never selected on)
    diagnostics: tuple[str, ...] = ()  # from its IR and the lab (llm/diagnostics.py)


def seed_parents(seeds: tuple[str, ...]) -> list[Parent]:
    return [Parent(None, source, None, None, {}) for source in seeds]


class LLMMember:
    def __init__(self, settings: ModelSettings, client: ChatClient, templates: TemplateSet,
                 prompts: PromptSettings, admission: AdmissionSettings,
                 requests: anyio.CapacityLimiter, budget: Budget):
        self.name = settings.name
        self.settings = settings
        self.client = client
        self.templates = templates
        self.prompts = prompts
        self.admission = admission
        self.requests = requests  # shared by all models
        # llama-cpp-python's server answers one request at a time; more would only queue
        # there, eating into each request's timeout.
        self.own_requests = anyio.CapacityLimiter(1 if settings.local else settings.max_in_flight)
        self.budget = budget
        self.in_flight = 0
        self._shapes: dict[str, tuple[str, ...]] = {}  # IR hash -> its shape notes

    async def propose(self, program_id: int, rng: random.Random, parents: list[Program],
                      view: SearchView) -> Proposal | None:
        # A failed request says nothing about the function; everything else is feedback.
        rejections = [p for p in view.recent_rejections(3 * self.prompts.recent_rejections)
                      if p.category not in ("llm_error", "proposer_error")]
        rejections = rejections[: self.prompts.recent_rejections]
        kind, shown, inspirations, target = self._plan(rng, parents, rejections, view)
        context = render_context(shown, inspirations, rejections, target, self.admission,
                                 view.database.ranked())
        messages = [{"role": "system", "content": self.templates.render("system", context)},
                    {"role": "user", "content": self.templates.render(kind, context)}]
        ids = (target.id,) if target is not None else tuple(
            p.id for p in shown if p.id is not None)
        base = dict(proposer="llm", parents=ids, model=self.name, template=kind)
        reservation = self.budget.reserve_request(
            self.settings, sum(len(m["content"]) for m in messages))
        if reservation is None:
            return None
        # The model's own limit first: waiting for it must not hold a shared request slot.
        async with self.own_requests, self.requests:
            self.in_flight += 1
            try:
                result = await self.client.complete(messages)
            except LLMError as exc:
                self.budget.settle_request(reservation, 0, 0.0)
                usage = {"model": self.name, "error": exc.kind, "faults": list(exc.faults),
                         "seconds": round(exc.seconds, 3), "input_tokens": 0,
                         "output_tokens": 0, "cost_usd": 0.0}
                return Proposal("", **base, meta={"usage": usage}, category="llm_error",
                                reason=exc.message)
            finally:
                self.in_flight -= 1
        self.budget.settle_request(reservation, result.input_tokens + result.output_tokens,
                                   result.cost_usd)
        meta = {"usage": _usage(self.name, result), "response": result.text[:MAX_STORED_RESPONSE]}
        if target is not None:
            meta["repair_of"] = target.id
        try:
            # Parsing is linear and capped, but an answer is still untrusted text: off the
            # event loop, so one answer never stalls the search.
            source, notes = await anyio.to_thread.run_sync(self._source, kind, result.text, shown)
        except ParseFailure as failure:
            return Proposal("", **base, meta=meta, category=failure.category,
                            reason=failure.reason)
        if notes:
            meta["notes"] = list(notes)
        return Proposal(source, **base, meta=meta)

    # ------------------------------------------------------------ planning
    def _plan(self, rng: random.Random, sample: list[Program], rejections: list[Program],
              view: SearchView):
        """The prompt kind, the parent(s) it shows, the inspirations, the child to repair.
        ``sample`` is the database's choice: parent first, then inspirations."""
        programs = [self._parent(p, view) for p in sample]
        if not programs:  # nothing evaluated yet: start from a seed function
            programs = [rng.choice(seed_parents(self.templates.seeds))]
        repairable = [p for p in rejections if p.category in REPAIRABLE and p.source.strip()]
        available = {"rewrite": True, "diff": True, "crossover": len(programs) >= 2,
                     "repair": bool(repairable)}
        kinds = [k for k, w in self.prompts.mix.items() if w > 0 and available[k]] or ["rewrite"]
        kind = rng.choices(kinds, weights=[self.prompts.mix.get(k, 1.0) for k in kinds])[0]
        target = rng.choice(repairable) if kind == "repair" else None
        shown = programs[:2] if kind == "crossover" else programs[:1]
        return kind, shown, programs[len(shown):], target

    def _parent(self, program: Program, view: SearchView) -> Parent:
        families = view.families(program)
        validation = program.objectives.get("validation")
        notes = (*self._shape(program.ir_hash, view),
                 *lab_notes(families, program.fitness, validation))
        return Parent(program.id, program.source, program.fitness, program.flops, families,
                      validation, notes)

    def _shape(self, ir_hash: str | None, view: SearchView) -> tuple[str, ...]:
        """What the trusted IR does beyond the box (never the proposal's Python)."""
        if not ir_hash:
            return ()
        if ir_hash not in self._shapes:
            data = view.ir_of(ir_hash)
            try:
                notes = shape_notes(ActivationIR.from_dict(data)) if data else []
            except IRError:
                notes = []
            self._shapes[ir_hash] = tuple(notes)
        return self._shapes[ir_hash]

    @staticmethod
    def _source(kind: str, text: str, parents: list[Parent]) -> tuple[str, tuple[str, ...]]:
        check_size(text)  # before any parsing
        if kind == "diff":
            blocks = diff_blocks(text)
            if blocks:
                edited = tidy(apply_diff(parents[0].source, blocks))
                return edited.source, edited.notes
            extracted = extract_code(text)  # weak models often answer a diff with a module
            return extracted.source, (*extracted.notes, "answered with full code, not a diff")
        extracted = extract_code(text)
        return extracted.source, extracted.notes


def _usage(model: str, result: ChatResult) -> dict:
    return {"model": model, "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens, "cost_usd": round(result.cost_usd, 8),
            "seconds": round(result.seconds, 3), "attempts": result.attempts,
            "faults": list(result.faults), "finish_reason": result.finish_reason,
            "tokens_estimated": result.tokens_estimated}


# --------------------------------------------------------------- rendering
def fitness_text(fitness: float | None) -> str:
    if fitness is None:
        return "not measured yet"
    return f"{fitness:+.3f} (x{math.exp(fitness):.2f} ReLU's out-of-distribution error)"


def families_text(families: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:+.2f}" for k, v in sorted(families.items())) or "n/a"


def render_context(parents: list[Parent], inspirations: list[Parent], rejections: list[Program],
                   target: Program | None, admission: AdmissionSettings,
                   ranked: list[Program]) -> dict[str, str]:
    context = dict.fromkeys(PLACEHOLDERS, "n/a")
    context.update(max_flops=str(admission.max_flops), max_nodes=str(admission.max_nodes),
                   best_fitness=fitness_text(ranked[0].fitness if ranked else None))
    for prefix, parent in zip(("parent", "other"), parents, strict=False):
        context.update({f"{prefix}_id": str(parent.id) if parent.id is not None else "seed",
                        f"{prefix}_source": parent.source.strip(),
                        f"{prefix}_fitness": fitness_text(parent.fitness),
                        f"{prefix}_flops": str(parent.flops) if parent.flops else "n/a",
                        f"{prefix}_families": families_text(parent.families),
                        f"{prefix}_validation": validation_text(parent.validation),
                        f"{prefix}_diagnostics": notes_text(list(parent.diagnostics))})
        if parent.id is None:  # a seed example: nothing measured yet
            context.update({f"{prefix}_validation": "n/a", f"{prefix}_diagnostics": "n/a"})
    context["inspirations"] = "\n\n".join(
        f"# fitness {fitness_text(p.fitness)}, {p.flops} FLOPs\n```python\n{p.source.strip()}\n```"
        for p in inspirations) or "(none yet)"
    context["recent_rejections"] = "\n".join(
        f"- [{p.category}] {p.reason}" for p in rejections) or "(none)"
    if target is not None:
        context.update(child_source=target.source.strip(), reject_category=str(target.category),
                       reject_reason=str(target.reason))
    return context
