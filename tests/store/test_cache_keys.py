"""Cache keys: what makes two results the same entry, and what keeps them apart."""

from __future__ import annotations

import pytest
from actmine.sandbox.fingerprint import source_fingerprint
from actmine.store import cache as cache_module
from actmine.store.cache import ResultCache, TieredCache

pytestmark = pytest.mark.fast


def test_source_fingerprint_ignores_comments_docstrings_and_layout_only():
    a = "import torch\n\ndef activation(x):\n    return torch.tanh(x)\n"
    b = '"""doc"""\nimport torch\n# a comment\ndef activation(x):\n    """doc"""\n    return torch.tanh( x )\n'
    c = "import torch\n\ndef activation(y):\n    return torch.tanh(y)\n"
    assert source_fingerprint(a) == source_fingerprint(b) != source_fingerprint(c)
    assert source_fingerprint("def (") is None


def test_admissions_are_keyed_by_version_and_settings(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path / "c")
    cache.put_admission("f64-n64", "src1", {"admitted": True})
    assert cache.get_admission("f64-n64", "src1") == {"admitted": True}
    assert cache.get_admission("f32-n64", "src1") is None  # another FLOP budget
    assert cache.get_admission("f64-n64", None) is None  # an unparsable source is never cached
    monkeypatch.setattr(cache_module, "actmine_version", lambda: "99.0")
    assert cache.get_admission("f64-n64", "src1") is None  # an upgraded sandbox re-admits
    cache.close()


def test_evaluations_are_keyed_by_lab_and_ir_and_remember_who_paid(tmp_path):
    cache = ResultCache(tmp_path / "c")
    cache.put_evaluation("lab1", "ir1", {"fitness": -0.5}, {"run": "r", "program": 3})
    assert cache.get_evaluation("lab1", "ir1") == {"fitness": -0.5,
                                                   "origin": {"run": "r", "program": 3}}
    assert cache.get_evaluation("lab2", "ir1") is None
    assert cache.evaluated_irs("lab1") == {"ir1"} and cache.evaluated_irs("lab2") == set()
    cache.put_ir("ir1", {"version": 1})
    cache.put_ir("ir1", {"version": 2})  # content-addressed: the first copy stays
    assert cache.get_ir("ir1") == {"version": 1} and cache.find_irs("ir") == ["ir1"]
    cache.close()


def test_the_tiered_cache_copies_shared_hits_into_the_run(tmp_path):
    shared = ResultCache(tmp_path / "shared")
    shared.put_evaluation("lab", "ir", {"fitness": 1.0})
    tiered = TieredCache(ResultCache(tmp_path / "run"), shared)
    assert tiered.get_evaluation("lab", "ir") == {"fitness": 1.0}
    assert tiered.run.get_evaluation("lab", "ir") == {"fitness": 1.0}  # self-contained run
    tiered.put_reference("lab", {"k": 1})
    assert shared.get_reference("lab") == {"k": 1}
    tiered.close()
