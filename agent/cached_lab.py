"""The one trusted path: source -> cached admission -> ReLU's references -> cached evaluation.

Every caller that admits or evaluates a function goes through ``CachedLab``: the search
pipeline, ``actmine eval``, ``actmine baselines``, ``actmine transfer`` (for files and the
reference activations) and the Python API. So a function gets the same admission, the same
fitness and the same cache entries whichever door it came in by.

- Admission is cached by the normalised-source fingerprint under the admission settings
  (a repeated source skips the sandbox); an admitted IR is also stored by its hash, which is
  what ``actmine export --ir`` reads (the one copy of an IR).
- ReLU's reference losses are computed once per lab configuration and cached.
- Evaluation is cached by (lab hash, IR hash); two requests for the same IR at once share
  one evaluation. An entry names the program that paid for it (``origin``), so a program
  resumed after a crash counts an evaluation it paid for as fresh, not as a hit.

The cache (store/cache.py: a run's tiered cache or one cache directory) and the executor
(agent/executors/: worker processes or Ray) are injected.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from actmine.evaluators.lab import Evaluation, LabConfig, References
from actmine.sandbox.admission import Admission, AdmissionConfig
from actmine.sandbox.fingerprint import source_fingerprint

from .executors import Executor


@dataclass(frozen=True)
class Scored:
    """An evaluation and whether it was served from the cache (paid for by someone else)."""

    evaluation: Evaluation
    cached: bool
    # Served from the cache entry of another IR whose curve matches this one's (the
    # program id that paid for it; agent/search/curves.py), not from this IR's own.
    near_duplicate_of: int | None = None


class CachedLab:
    def __init__(self, cache, executor: Executor, admission: AdmissionConfig, lab: LabConfig):
        self.cache = cache
        self.executor = executor
        self.admission_config = admission
        self.lab_config = lab
        self._references: References | None = None
        self._references_lock: anyio.Lock | None = None  # made in the event loop that uses it
        self._in_flight: dict[str, anyio.Event] = {}  # IR hash -> its evaluation finished

    # --------------------------------------------------------------- admission
    def cached_admission(self, source: str) -> Admission | None:
        hit = self.cache.get_admission(self.admission_config.key, source_fingerprint(source))
        return Admission.from_dict(hit) if hit is not None else None

    async def admit(self, source: str) -> tuple[Admission, bool]:
        """(admission, from_cache). Only the executor's sandbox ever runs the source."""
        hit = self.cached_admission(source)
        if hit is not None:
            if hit.admitted:  # a hit from the shared cache: keep the run's copy of the IR
                self.cache.put_ir(hit.ir_hash, hit.ir.to_dict())
            return hit, True
        admission = await self.executor.admit(source, self.admission_config)
        self.cache.put_admission(self.admission_config.key, admission.source_hash,
                                 admission.to_dict())
        if admission.admitted:
            self.cache.put_ir(admission.ir_hash, admission.ir.to_dict())
        return admission, False

    # -------------------------------------------------------------- references
    async def references(self, on_note=None) -> References:
        """ReLU's losses for this lab: from the cache, or computed once and cached."""
        self._references_lock = self._references_lock or anyio.Lock()
        async with self._references_lock:  # concurrent first evaluations compute them once
            if self._references is None:
                self._references = await self._load_references(on_note)
        return self._references

    async def _load_references(self, on_note) -> References:
        lab_hash = self.lab_config.hash
        cached = self.cache.get_reference(lab_hash)
        if cached is not None:
            return References.from_dict(cached)
        if on_note:
            on_note("computing ReLU's reference losses for this lab (once, then cached)")
        refs = await self.executor.references(self.lab_config)
        self.cache.put_reference(lab_hash, refs.to_dict())
        return refs

    # -------------------------------------------------------------- evaluation
    def cached_evaluation(self, ir_hash: str) -> tuple[Evaluation, dict | None] | None:
        """(evaluation, its origin) from the cache, or None."""
        hit = self.cache.get_evaluation(self.lab_config.hash, ir_hash)
        return (Evaluation.from_dict(hit), hit.get("origin")) if hit is not None else None

    async def lookup(self, ir_hash: str, origin: dict | None = None) -> Scored | None:
        """The cached evaluation of this IR (after any evaluation of it in flight finishes);
        ``cached`` is False when it was paid for by ``origin`` itself."""
        while ir_hash in self._in_flight:
            await self._in_flight[ir_hash].wait()
        hit = self.cached_evaluation(ir_hash)
        if hit is None:
            return None
        evaluation, paid_by = hit
        return Scored(evaluation, origin is None or paid_by != origin)

    async def evaluate(self, admission: Admission, origin: dict | None = None) -> Scored:
        """The cached evaluation, or a fresh one (committed to the cache before it returns)."""
        found = await self.lookup(admission.ir_hash, origin)
        if found is not None:
            return found
        done = self._in_flight[admission.ir_hash] = anyio.Event()
        try:
            refs = await self.references()
            evaluation = await self.executor.evaluate(admission.ir, self.lab_config, refs)
            self.cache.put_evaluation(self.lab_config.hash, admission.ir_hash,
                                      evaluation.to_dict(), origin)
            return Scored(evaluation, False)
        finally:
            del self._in_flight[admission.ir_hash]
            done.set()

    def fully_cached(self, source: str) -> bool:
        """Would this source finish from the caches alone (no sandbox, no lab)?"""
        admission = self.cached_admission(source)
        return admission is not None and (not admission.admitted or self.cache.get_evaluation(
            self.lab_config.hash, admission.ir_hash) is not None)

    async def score(self, source: str, origin: dict | None = None) -> tuple[Admission, Scored | None]:
        """Admit, then evaluate if admitted: the whole path for one source."""
        admission, _ = await self.admit(source)
        if not admission.admitted:
            return admission, None
        return admission, await self.evaluate(admission, origin)
