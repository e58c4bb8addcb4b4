"""The report of a synthetic run written through the real store APIs (tiny lab): sections,
links, images, spend, caching of the retrained fit, and odd runs."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import pytest
from actmine.agent.report import build_report
from actmine.agent.report.data import spend_of
from actmine.agent.report.formula import to_formula
from actmine.agent.report.lineage import generations, lineage
from actmine.agent.report.synthetic import build_synthetic_run
from actmine.sandbox.ir import ActivationIR
from actmine.store.programs import Program
from actmine.store.run_dir import open_run
from PIL import Image
from support import tiny_settings


class Page(HTMLParser):
    """ids, same-page links, images and script tags of an HTML document."""

    def __init__(self, text: str):
        super().__init__()
        self.ids, self.links, self.images, self.scripts, self.external = set(), [], [], 0, []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if re.match(r"^(https?:)?//", attrs.get(key) or ""):
                self.external.append(attrs[key])


def decode_png(src: str) -> Image.Image:
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    image.load()  # decodes every pixel, raising on a truncated or corrupt PNG
    return image


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "run"
    build_synthetic_run(path, 150, tiny_settings(), seed=3)
    first = build_report(path, path / "report.html", progress=False)
    return path, first


def test_report_has_every_section_linked_rows_and_decodable_plots(synthetic):
    path, result = synthetic
    text = result.path.read_text()
    page = Page(text)
    for section in ("leaderboard", "functions", "lab", "progress", "lineage", "admission",
                    "models", "programs"):
        assert section in page.ids
    assert not page.scripts and not page.external  # self-contained: nothing to fetch or run
    assert set(page.links) <= page.ids  # every in-page link lands somewhere
    run = open_run(path)
    try:
        top = run.programs.best(20)
        rejections = run.programs.counts()["rejections"]
    finally:
        run.close()
    for program in top:  # each leaderboard row links to its source and IR
        assert f"p{program.id}" in page.ids and f"p{program.id}" in page.links
    card = text.split(f'id="p{top[0].id}"', 1)[1].split('class="card"', 1)[0]
    assert "def activation" in card and "aten." in card  # source and the IR JSON
    assert result.images == len(page.images) == 6
    for src in page.images:
        image = decode_png(src)
        assert image.size[0] > 300 and image.size[1] > 150
    assert len(rejections) >= 3
    for needle in ("GELU-Sinc-Perturbation", "gemini-flash", "gpt-mini", "tokens in", "$",
                   *rejections):
        assert needle in text


def test_spend_is_shown_per_model_and_na_for_free_proposers(synthetic):
    path, result = synthetic
    text = result.path.read_text()
    models = text.split('id="models"', 1)[1].split("</section>", 1)[0]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr><td>(\w+)</td>.*?</tr>", models, re.S)}
    assert "n/a" in rows["symbolic"] and "$" not in rows["symbolic"]
    assert "$" in rows["llm"] and "/min" in rows["llm"]
    assert "against money spent" in text or "model spend" in text


def test_a_second_render_reuses_the_cached_fit(synthetic):
    path, first = synthetic
    assert first.fit_seconds > 0
    assert list((path / "report").glob("fit-*.json"))
    again = build_report(path, path / "again.html", progress=False)
    assert again.fit_seconds == 0.0
    assert again.images == first.images


def test_an_empty_run_and_a_run_with_only_rejections_still_render(tmp_path):
    settings = tiny_settings()
    empty = tmp_path / "empty"
    open_run(empty, settings.identity(), create=True).close()
    result = build_report(empty, progress=False)
    text = result.path.read_text()
    assert "No program has been evaluated yet." in text and result.images == 1

    run = open_run(tmp_path / "rejected", settings.identity(), create=True)
    run.programs.add(Program(1, "llm", "import os", False, category="forbidden",
                             reason="import of 'os' is not allowed at line 1", model="m",
                             meta={"future_field": [1, 2], "usage": {"cost_usd": 0.002}}))
    run.close()
    text = build_report(tmp_path / "rejected", progress=False).path.read_text()
    assert "forbidden" in text and "import of &#39;os&#39; is not allowed at line N" in text
    assert "$0.0020" in text


def test_html_in_sources_and_reasons_is_escaped(tmp_path):
    run = open_run(tmp_path / "run", tiny_settings().identity(), create=True)
    run.programs.add(Program(1, "llm", "<script>alert(1)</script>", False, category="syntax",
                             reason="<img src=x onerror=alert(1)>"))
    run.close()
    page = Page(build_report(tmp_path / "run", progress=False).path.read_text())
    assert page.scripts == 0 and len(page.images) == 1


def test_formula_lineage_and_spend_helpers():
    ir = ActivationIR.from_dict({"version": 1, "output": {"ref": 6}, "nodes": [
        {"op": "aten.mul.Tensor", "args": [{"ref": 0}, 3.0], "kwargs": {}},
        {"op": "aten.sinc.default", "args": [{"ref": 1}], "kwargs": {}},
        {"op": "aten.mul.Tensor", "args": [{"ref": 2}, 0.5], "kwargs": {}},
        {"op": "aten.add.Tensor", "args": [{"ref": 3}, 1.0], "kwargs": {}},
        {"op": "aten.gelu.default", "args": [{"ref": 0}], "kwargs": {"approximate": "tanh"}},
        {"op": "aten.sub.Tensor", "args": [{"ref": 5}, {"ref": 4}], "kwargs": {}}]})
    assert to_formula(ir) == "gelu_tanh(x) - (sinc(x * 3) * 0.5 + 1)"

    programs = {i: Program(i, "symbolic", "", True, parents=parents)
                for i, parents in [(1, ()), (2, ()), (3, (1,)), (4, (3, 2)), (5, (4, 99))]}
    assert generations(programs) == {1: 0, 2: 0, 3: 1, 4: 2, 5: 3}
    tree = lineage(programs, 5)
    assert tree.main_line == (1, 3, 4, 5)
    assert set(tree.nodes) == {1, 2, 3, 4, 5}
    assert (2, 4, False) in tree.edges and (4, 5, True) in tree.edges

    assert spend_of({}).cost is None
    assert spend_of({"usage": {"prompt_tokens": 10, "completion_tokens": 3, "cost": 0.1}}) \
        == spend_of({"input_tokens": 10, "output_tokens": 3, "cost_usd": 0.1})
    assert spend_of({"cost_usd": "free", "tokens_in": True}).cost is None


def test_validation_beside_fitness_the_over_fitting_figure_and_the_champion(tmp_path):
    from actmine.agent.report.fig_validation import trajectory
    from actmine.agent.search.champion import find_champion

    path = build_synthetic_run(tmp_path / "run", 60, tiny_settings(), seed=3, validation=True)
    result = build_report(path, progress=False)
    text = result.path.read_text()
    page = Page(text)
    assert result.images == len(page.images) == 7  # the six, and fitness against validation
    assert "Selection fitness against held-out validation" in text
    run = open_run(path, readonly=True)
    try:
        programs = run.programs.all()
    finally:
        run.close()
    champion = find_champion(programs)
    assert champion.program is not None and champion.applied == ("validation",)
    board = text.split('id="leaderboard"', 1)[1].split("</section>", 1)[0]
    assert "<th class=\"num\">validation</th>" in board
    row = board.split(f'href="#p{champion.program.id}"', 1)[0].rsplit("<tr>", 1)[1]
    assert "★" in row  # the champion's row is marked
    assert f"champion: #{champion.program.id}" in board and f"p{champion.program.id}" in page.ids
    # The trajectory follows the best fitness so far and that program's validation.
    steps = trajectory(programs)
    assert [s["fresh"] for s in steps] == sorted(s["fresh"] for s in steps)
    last = steps[-1]
    best = min((p for p in programs if p.fitness is not None and p.status == "ok"),
               key=lambda p: (p.fitness, p.id))
    assert last["best_id"] == best.id and last["best_validation"] == best.objectives["validation"]


def test_a_live_run_can_be_reported_while_its_search_holds_the_lock(synthetic):
    from actmine.store.run_dir import open_run

    path, _ = synthetic
    writer = open_run(path)  # what a running search holds
    try:
        result = build_report(path, path / "live.html", progress=False)
    finally:
        writer.close()
    assert result.path.exists() and result.programs > 0
