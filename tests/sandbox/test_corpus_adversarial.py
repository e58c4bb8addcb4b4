"""The adversarial corpus: every program is refused with the expected category, and nothing
is written, read, connected to or left running.

Each program runs through normal admission (static filter first). Programs with a
``# direct:`` header also run *past* the static filter, straight into the sandbox, to show
that the OS layers and the parent's checks stop them on their own.
"""

from __future__ import annotations

import pytest
from actmine.sandbox import AdmissionConfig
from actmine.sandbox.admission import admit, admit_unfiltered
from actmine.sandbox.reasons import Category
from actmine.sandbox.supervisor import SandboxLimits, shared_zygote
from sandbox_corpus import ADVERSARIAL, Arena, load

# Short deadlines: the timing programs (infinite loops, sleeps, huge ops) cost this much each.
CONFIG = AdmissionConfig(limits=SandboxLimits(wall_seconds=3.0, cpu_seconds=3))
PROGRAMS = [load(p) for p in ADVERSARIAL]
DIRECT = [p for p in PROGRAMS if p.direct]
CATEGORIES = {c.value for c in Category}


@pytest.fixture
def arena(tmp_path):
    arena = Arena(tmp_path)
    yield arena
    arena.close()


def test_corpus_is_large_and_well_formed():
    assert len(PROGRAMS) >= 40
    assert len(DIRECT) >= 20
    for program in PROGRAMS:
        assert program.expect <= CATEGORIES, program.name
        assert program.direct <= CATEGORIES, program.name


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_admission_refuses(program, arena):
    verdict = admit(arena.fill(program.source), CONFIG)
    assert not verdict.admitted, f"{program.name} was admitted"
    assert verdict.category in program.expect, f"{program.name}: {verdict.category}: {verdict.reason}"
    assert verdict.reason and verdict.reason.isprintable()  # one line, no ESC/BEL
    arena.assert_untouched(shared_zygote().pid, verdict.to_dict())


@pytest.mark.parametrize("program", DIRECT, ids=lambda p: p.name)
def test_sandbox_alone_refuses(program, arena):
    verdict = admit_unfiltered(arena.fill(program.source), CONFIG)
    assert not verdict.admitted, f"{program.name} was admitted past the static filter"
    assert verdict.category in program.direct, f"{program.name}: {verdict.category}: {verdict.reason}"
    assert verdict.reason.isprintable()
    arena.assert_untouched(shared_zygote().pid, verdict.to_dict())
