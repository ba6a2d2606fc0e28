"""The validity study's statistics (iitbench/study/stats.py) on hand-made data, and the predictor table
(iitbench/study/validity.py): recipe-clustered bootstrap, leave-one-out range, partial r, seed reliability and the
correction for it; a diagnose.json in a model's directory joins the table without code."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats as sp

from iitbench.study import stats


def test_cluster_weights_move_seeds_of_one_recipe_together():
    clusters = ["a", "a", "a", "b", "c", "c"]
    w = stats.cluster_weights(clusters, n_boot=500, seed=3)
    assert w.shape == (500, 6)
    assert (w[:, 0] == w[:, 1]).all() and (w[:, 1] == w[:, 2]).all() and (w[:, 4] == w[:, 5]).all()
    assert ((w[:, [0, 3, 4]]).sum(axis=1) == 3).all()  # three clusters drawn per resample
    assert (stats.cluster_weights(clusters, 500, 3) == w).all()  # seeded


def test_triplicated_seeds_add_no_information_to_a_clustered_ci():
    """Three identical seeds per recipe: the clustered CI equals the CI over the recipes themselves (the same draws,
    each point weighted three times), while treating the 3x rows as independent narrows it wrongly."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=8), rng.normal(size=8)
    names = [f"r{i}" for i in range(8)]
    recipes = stats.correlation(x, y, names)
    clustered = stats.correlation(np.repeat(x, 3), np.repeat(y, 3), np.repeat(names, 3))
    naive = stats.correlation(np.repeat(x, 3), np.repeat(y, 3))
    assert (clustered.value, clustered.lo, clustered.hi) == pytest.approx((recipes.value, recipes.lo, recipes.hi))
    assert clustered.n == 24 and clustered.clusters == 8
    assert naive.hi - naive.lo < 0.8 * (clustered.hi - clustered.lo)


def test_weighted_statistics_equal_those_of_the_duplicated_sample():
    rng = np.random.default_rng(1)
    x, y, z = rng.normal(size=7), rng.normal(size=7), rng.normal(size=7)
    x[3] = x[1]  # a tie, for the mid-ranks
    w = np.array([[2.0, 0, 1, 1, 3, 0, 1]])
    rep = np.repeat(np.arange(7), w[0].astype(int))
    assert stats._pearson(x, y, w)[0] == pytest.approx(np.corrcoef(x[rep], y[rep])[0, 1])
    assert stats._stat(x, y, w, "spearman", None)[0] == pytest.approx(sp.spearmanr(x[rep], y[rep])[0])

    def resid(v):
        fit = sp.linregress(z[rep], v[rep])
        return v[rep] - (fit.intercept + fit.slope * z[rep])

    assert stats._stat(x, y, w, "pearson", z)[0] == pytest.approx(np.corrcoef(resid(x), resid(y))[0, 1])


def test_partial_r_removes_what_the_control_explains():
    rng = np.random.default_rng(2)
    lr = np.repeat([-3.0, -4.3], 10)
    x = lr + 0.1 * rng.normal(size=20)  # both follow the learning rate, nothing else in common
    y = -lr + 0.1 * rng.normal(size=20)
    assert stats.correlation(x, y).value < -0.95
    partial = stats.correlation(x, y, control=lr)
    assert abs(partial.value) < 0.5 and partial.lo < 0 < partial.hi


def test_leave_one_out_range_shows_a_point_that_carries_r():
    x = [0.0, 1.0, 1.1, 0.9, 1.05, 0.95, 1.02]  # one low point (a frozen model) and a flat cloud
    y = [0.0, -0.2, -0.1, -0.15, -0.25, -0.12, -0.18]
    lo, hi = stats.loo_range(x, y)
    assert stats.correlation(x, y).value == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert lo < -0.8 < hi and abs(hi - np.corrcoef(x[1:], y[1:])[0, 1]) < 1e-12  # without it, r is another
    assert stats.loo_range([1, 2, 3], [1, 2, 3]) is None


def test_seed_reliability_and_the_correction():
    values = [1.0, 1.2, 2.0, 2.2, 3.0, 3.2, 2.5]
    clusters = ["a", "a", "b", "b", "c", "c", "d"]
    rel = stats.seed_reliability(values, clusters)
    within = (3 * 2 * 0.1 ** 2) / 3  # each pair: squared deviations 0.01 + 0.01, 1 df
    assert rel.value == pytest.approx(1 - within / np.var(values, ddof=1)) and rel.df == 3 and rel.recipes == 3
    assert stats.seed_reliability([1.0, 2.0, 3.0], ["a", "b", "c"]) is None  # no replicates: unknown
    assert stats.disattenuated(0.3, 0.25) == pytest.approx(0.6)
    assert stats.disattenuated(0.3, 0.0) is None
    noise = stats.seed_reliability([1.0, 2.0, 1.1, 1.9, 1.5, 1.4], ["a", "a", "b", "b", "c", "c"])
    assert noise.value < 0.2  # seeds of a recipe differ as much as recipes: little to correlate with


def test_welch_and_mcnemar_match_scipy():
    a, b = [0.50, 0.51, 0.53], [0.55, 0.49, 0.52]
    diff, lo, hi = stats.welch(a, b)
    ci = sp.ttest_ind(a, b, equal_var=False).confidence_interval()
    assert (lo, hi) == pytest.approx((ci.low, ci.high)) and diff == pytest.approx(np.mean(a) - np.mean(b))
    assert stats.welch([0.5], b) is None
    from iitbench.metrics.paired import mcnemar_exact

    for counts in ((117, 88), (21, 35), (0, 0), (5, 5), (3, 9)):
        assert stats.mcnemar_p(*counts) == pytest.approx(mcnemar_exact(*counts), abs=1e-12)


def test_paired_redraw_depends_only_on_the_discordant_counts():
    first = stats.paired_redraw(350, 21, 35, 1000, seed=1)
    assert first == stats.paired_redraw(350, 21, 35, 1000, seed=1)
    assert first[0] < -0.04 < first[1] and first != stats.paired_redraw(350, 21, 35, 1000, seed=2)


# --- the predictor table on a hand-made study directory --------------------------------------------------------


def _model(root, name, recipe, shift, delta, lr=1e-3, base="hf-causal:/m/base-a", diagnose=None, trained=("llm",)):
    d = root / name
    (d / "forgetting").mkdir(parents=True)
    (d / "laws-content-include-sum").mkdir()
    info = {"name": name, "base": base, "recipe_key": recipe, "lr_llm": lr, "trained": list(trained), "mm_acc": 0.5}
    (d / "model.json").write_text(json.dumps(info))
    overall = {"n": 100, "delta": delta, "delta_ci95": [delta - 0.05, delta + 0.05], "acc_a": 0.5}
    (d / "forgetting" / "forgetting.json").write_text(json.dumps({"comparison": {"overall": overall}}))
    (d / "laws-content-include-sum" / "laws_summary.json").write_text(
        json.dumps({"shift": {"value": shift, "lo": shift, "hi": shift}}))
    if diagnose is not None:
        (d / "diagnose").mkdir()
        (d / "diagnose" / "diagnose.json").write_text(json.dumps(diagnose))


def _study(root, with_diagnose=True, family_b=False):
    rng = np.random.default_rng(0)
    for i in range(6):
        lr = 1e-3 if i % 2 else 5e-5
        for seed in range(2):
            delta = -0.2 * (i % 2) - 0.01 * i + 0.01 * rng.normal()
            diag = {"schema_version": 1, "command": "iitbench diagnose",  # schema 1 of iitbench/diagnose/assemble.py
                    "summary": {"kl_mean": {"value": -delta + 0.01 * rng.normal(), "lo": 0.0, "hi": 1.0, "n": 50},
                                "cka_drift_mean": {"value": 0.1 * i, "lo": None, "hi": None, "n": 50},
                                "mixing_mean": {"value": None, "lo": None, "hi": None, "n": 0}},
                    "predictors": {"output_shift": {"status": "ok"}, "mixing": {"status": "not computable"}}}
            _model(root, f"m{i}-s{seed}", f"r{i}", 1.0 + 0.1 * rng.normal(), delta, lr,
                   diagnose=diag if with_diagnose else None)
    _model(root, "frozen", "rf", 0.5, 0.0, None, trained=("projector",))
    if family_b:
        for i in range(4):
            _model(root, f"b{i}", f"b{i}", 1.0 + 0.1 * i, -0.05 * i, base="hf-causal:/m/base-b")


def test_a_diagnose_json_joins_the_predictor_table(tmp_path):
    from iitbench.study.leaderboard import write_leaderboard

    _study(tmp_path / "study")
    write_leaderboard(tmp_path / "study", tmp_path / "out", "cmd")
    text = (tmp_path / "out" / "predictors.md").read_text()
    rows = {tuple(line.split(" | ")[1:5:3]): line for line in text.splitlines() if line.startswith("| base-a")}
    assert ("kl_mean", "trained LLM") in rows and ("cka_drift_mean", "trained LLM") in rows
    assert "not computed here" not in rows[("kl_mean", "trained LLM")]
    assert "not computed here" in next(line for line in text.splitlines() if "| js_mean |" in line)
    assert "not computed here" in next(line for line in text.splitlines() if "| mixing_mean |" in line)
    assert not any("output_shift" in line or "schema_version" in line for line in text.splitlines())
    kl = rows[("kl_mean", "trained LLM")].split(" | ")
    assert kl[5:7] == ["12", "6"]  # 12 trained models, 6 recipes: seeds clustered, the frozen model left out
    assert float(kl[7].split()[0]) < -0.9  # kl tracks the loss by construction
    csv_head = (tmp_path / "out" / "predictors.csv").read_text().splitlines()[0].split(",")
    assert {"pearson_lo", "spearman", "loo_min", "partial", "reliability", "corrected"} <= set(csv_head)
    assert (tmp_path / "out" / "predictors.png").is_file()


def test_read_predictors_takes_the_summary_else_a_predictors_mapping_else_top_level_numbers(tmp_path):
    from iitbench.study.tables import read_predictors

    path = tmp_path / "diagnose.json"
    path.write_text(json.dumps({"summary": {"kl_mean": {"value": 0.5}, "js_mean": {"value": None}},
                                "predictors": {"output_shift": {"status": "ok"}}, "seed": 3}))
    assert read_predictors(path) == {"kl_mean": 0.5}
    path.write_text(json.dumps({"predictors": {"kl_mean": 0.4, "js_mean": {"value": 0.1}}, "seed": 3}))
    assert read_predictors(path) == {"kl_mean": 0.4, "js_mean": 0.1}
    path.write_text(json.dumps({"schema_version": 1, "seed": 0, "n_items": 30, "kl_mean": 0.5, "ok": True,
                                "name": "x", "js_mean": float("nan"), "cka_drift_mean": {"value": 0.2, "lo": 0.1}}))
    assert read_predictors(path) == {"kl_mean": 0.5, "cka_drift_mean": 0.2}
    assert read_predictors(tmp_path / "absent.json") == {}


def test_a_second_family_gets_its_own_rows_and_a_pooled_block(tmp_path):
    from iitbench.study.tables import collect
    from iitbench.study.validity import families, validity

    _study(tmp_path / "study", with_diagnose=False, family_b=True)
    rows = collect(tmp_path / "study")
    assert list(families(rows)) == ["base-a", "base-b", "all families"]
    found = validity(rows, ["content-include-sum"])
    shift = {(v.family, v.population): v for v in found if v.predictor.name == "shift (content-include-sum)"}
    assert shift[("base-b", "all models")].pearson.n == 4
    assert shift[("all families", "all models")].pearson.n == 17
    assert math.isclose(shift[("base-b", "all models")].pearson.value, -1.0)
