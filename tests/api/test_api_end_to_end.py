"""The Python API end to end, as a notebook uses it: no argv, no subprocess.

Build a small IIT set, evaluate two zoo models on it, measure text forgetting and the LAWS shift, compare shifts,
write a report, and read everything back as DataFrames.
"""

from __future__ import annotations

import pytest

from iitbench import api
from iitbench.errors import UserError


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    mp = pytest.MonkeyPatch()
    mp.setenv("IITBENCH_CACHE", str(root / "cache"))
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def data(workdir):
    return api.build("synth", workdir / "data", configs=["T", "TV", "TVT"], per_config=4, seed=0, grouping="random")


def test_build_returns_the_loaded_dataset(data):
    assert data.card.counts_per_config == {"T": 4, "TV": 4, "TVT": 4}
    frame = data.to_pandas()
    assert len(frame) == 12 and set(frame["config"]) == {"T", "TV", "TVT"}
    assert frame["has_image"].sum() == 8


def test_evaluate_two_models_and_read_the_frames(data, workdir):
    runs = {name: api.evaluate(name, data.root, output=workdir / name, progress=False)
            for name in ("wings-tiny", "llava-tiny")}
    for run in runs.values():
        configs = run.to_pandas("configs")
        assert list(configs["config"]) == ["T", "TV", "TVT", "overall"]
        assert configs.set_index("config").loc["overall", "n"] == 12
        items = run.to_pandas("items")
        assert len(items) == 12 and {"id", "config", "prediction", "gold", "correct"} <= set(items.columns)
        assert run.accuracy == pytest.approx(items["correct"].mean())
        again = api.RunResults.load(run.run_dir)
        assert again.results == run.results and again.to_pandas("configs").equals(configs)
    resumed = api.evaluate("wings-tiny", data.root, output=workdir / "wings-tiny", progress=False)
    assert resumed.computed == 0 and resumed.resumed == 12 and resumed.results["metrics"] == \
        runs["wings-tiny"].results["metrics"]


def test_an_adapter_instance_is_taken_as_it_is(data, workdir):
    from iitbench.models import load_model

    adapter = load_model("random", {"seed": 3})
    run = api.evaluate(adapter, data.root, output=workdir / "random", progress=False, limit=2)
    assert run.results["model"]["name"] == "random" and run.results["model"]["args"] == {"seed": 3}
    with pytest.raises(UserError, match="model_args given with an adapter instance"):
        api.evaluate(adapter, data.root, model_args="seed=4", output=workdir / "random2")


def test_forgetting_laws_comparison_and_report(data, workdir):
    forgetting = {name: api.forgetting(name, "base-tiny", suite="text", limit=6, output=workdir / f"fg-{name}",
                                       progress=False) for name in ("wings-tiny", "llava-tiny")}
    fg = forgetting["llava-tiny"]
    tasks = fg.to_pandas("tasks")
    assert tasks.set_index("task").loc["overall", "delta"] == pytest.approx(fg.delta)
    items = fg.to_pandas("items")
    assert len(items) == tasks.set_index("task").loc["overall", "n"]
    assert fg.delta == pytest.approx(items["mllm_correct"].mean() - items["base_correct"].mean())

    laws = {name: api.attention_shift(name, data.root, limit=4, n_boot=200, output=workdir / f"laws-{name}")
            for name in ("wings-tiny", "llava-tiny")}
    curves = laws["wings-tiny"].to_pandas("layers")
    assert set(curves["segment"]) == {"before", "image", "after"}
    samples = laws["wings-tiny"].to_pandas("samples")
    assert samples["key"].nunique() == laws["wings-tiny"].summary["n_samples"]

    comparison = api.compare_shifts([laws[n].out_dir for n in laws], workdir / "compare", n_boot=200,
                                    forgetting_dirs=[forgetting[n].out_dir for n in laws])
    frame = comparison.to_pandas()
    assert list(frame["model"]) == ["wings-tiny", "llava-tiny"]
    assert list(frame["text_delta"]) == [forgetting[n].delta for n in laws]

    out = api.report([workdir / "wings-tiny", fg.out_dir, laws["wings-tiny"].out_dir], workdir / "report.html")
    assert out.path.is_file() and "wings-tiny" in out.markdown
    assert api.ForgettingResults.load(fg.out_dir).delta == fg.delta
    assert api.LawsResults.load(laws["wings-tiny"].out_dir).shift == laws["wings-tiny"].shift


def test_bad_arguments_raise_one_line_user_errors(data, workdir):
    with pytest.raises(UserError, match="to_pandas\\(level='rows'\\): use one of items, configs"):
        api.RunResults.load(workdir / "wings-tiny").to_pandas("rows")
    with pytest.raises(UserError, match="--batch-size 0"):
        api.evaluate("random", data.root, batch_size=0, output=workdir / "x")
    with pytest.raises(UserError, match="evaluate takes one suite"):
        api.evaluate("random", "iit,text", output=workdir / "y")
