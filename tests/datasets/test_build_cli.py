import json
import types

import pytest

from iitbench.cli.main import main
from iitbench.data.manifest import load_dataset_dir
from iitbench.datasets import inputs as inputs_mod
from tests.datasets.build_fixtures import make_pool


def fingerprint(out) -> str:
    return json.loads((out / "dataset.json").read_text())["fingerprint"]


def test_same_seed_same_fingerprint_and_other_seed_differs(tmp_path, synth, embedder, capsys):
    common = ["build", "--source", "synth", "--per-config", "10"]
    assert main(common + ["--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--out", str(tmp_path / "b")]) == 0
    assert main(common + ["--seed", "1", "--out", str(tmp_path / "c")]) == 0
    assert fingerprint(tmp_path / "a") == fingerprint(tmp_path / "b") != fingerprint(tmp_path / "c")
    assert (tmp_path / "a" / "items.jsonl").read_bytes() == (tmp_path / "b" / "items.jsonl").read_bytes()
    summary = capsys.readouterr().out
    assert "Built 60 dialogues" in summary and fingerprint(tmp_path / "a")[:16] in summary
    ds = load_dataset_dir(tmp_path / "a")
    assert ds.card.counts_per_config == {c: 10 for c in ("T", "TT", "TTT", "TTV", "TV", "V")}
    assert ds.card.licences == {"synth": synth.LICENCE}
    assert ds.card.build["embedder"] == "all-MiniLM-L6-v2" and ds.card.build["source_versions"] == {"synth": synth.VERSION}


def test_custom_configs_and_random_grouping(tmp_path, synth):
    out = tmp_path / "ds"
    assert main(["build", "--source", "synth", "--configs", "TTTV,VVT", "--per-config", "3", "--grouping", "random",
                 "--out", str(out)]) == 0
    ds = load_dataset_dir(out)
    assert [it.config for it in ds.items] == ["TTTV"] * 3 + ["VVT"] * 3
    assert ds.card.build["embedder"] is None


@pytest.mark.parametrize("argv,needle", [
    (["--configs", "TQ"], "'Q'"),
    (["--per-config", "0"], "--per-config"),
    (["--per-config", "100000", "--grouping", "random"], "available"),
    (["--sources", "mmlu"], "--sources"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, synth, argv, needle):
    assert main(["build", "--source", "synth", "--out", str(tmp_path / "x")] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err


def test_unknown_source_directory_exits_2(tmp_path, capsys):
    assert main(["build", "--source", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 2
    assert "--source" in capsys.readouterr().err


def test_local_directory_source_loads_each_subdirectory(tmp_path, monkeypatch):
    """DIR holds one subdirectory per real source; each is loaded with load_source(name, data_dir=DIR/name)."""
    pool = make_pool(n_text=20, n_image=6)
    calls = []

    def load_source(name, split=None, data_dir=None, subjects=None, limit=None):
        calls.append((name, data_dir))
        kind = "V" if name == "ai2d" else "T"
        return [q.__class__(**{**q.__dict__, "source": name}) for q in pool if q.kind == kind]

    fake = types.SimpleNamespace(load_source=load_source, SOURCES={
        "mmlu": types.SimpleNamespace(licence="MIT", hub_id="cais/mmlu"),
        "ai2d": types.SimpleNamespace(licence="CC-BY-SA-4.0", hub_id="lmms-lab/ai2d")})
    monkeypatch.setattr(inputs_mod, "_hf_module", lambda: fake)
    for name in ("mmlu", "ai2d"):
        (tmp_path / "src" / name).mkdir(parents=True)
    out = tmp_path / "ds"
    assert main(["build", "--source", str(tmp_path / "src"), "--configs", "TV", "--per-config", "4",
                 "--grouping", "random", "--out", str(out)]) == 0
    assert calls == [("mmlu", tmp_path / "src" / "mmlu"), ("ai2d", tmp_path / "src" / "ai2d")]
    card = load_dataset_dir(out).card
    assert card.licences == {"ai2d": "CC-BY-SA-4.0", "mmlu": "MIT"}
    assert card.counts_per_source == {"ai2d": 4, "mmlu": 4}
    assert card.build["source"] == "local"


def test_real_source_loaders_are_importable_with_licences():
    hf = pytest.importorskip("iitbench.sources.hf", reason="the real-source loaders are not importable yet")
    for name in inputs_mod.HF_SOURCES:
        assert hf.SOURCES[name].licence


def test_local_directory_build_with_the_real_loaders(tmp_path):
    hf = pytest.importorskip("iitbench.sources.hf", reason="the real-source loaders are not importable yet")
    src = tmp_path / "src"
    (src / "mmlu").mkdir(parents=True)
    (src / "openbookqa").mkdir()
    rows = [{"question": f"What is {i} plus {i}?", "subject": "elementary_mathematics",
             "choices": [str(2 * i), str(i), "0", "1"], "answer": 0} for i in range(6)]
    (src / "mmlu" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rows = [{"id": f"obqa-{i}", "question_stem": f"Which tool measures quantity {i}?",
             "choices": {"text": ["ruler", "scale", "clock", "cup"], "label": ["A", "B", "C", "D"]}, "answerKey": "B"}
            for i in range(6)]
    (src / "openbookqa" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "ds"
    assert main(["build", "--source", str(src), "--sources", "mmlu,openbookqa", "--configs", "T,TT",
                 "--per-config", "5", "--grouping", "random", "--out", str(out)]) == 0
    card = load_dataset_dir(out).card
    assert card.counts_per_config == {"T": 5, "TT": 5}
    assert set(card.licences) <= {"mmlu", "openbookqa"}
    assert all(card.licences[n] == hf.SOURCES[n].licence for n in card.licences)
