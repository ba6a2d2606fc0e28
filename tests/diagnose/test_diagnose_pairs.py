"""Pairs a predictor cannot handle (one line each, the others still computed), an HF VLM against its text base,
resume (after deleting a predictor file, after an interruption), bad input, and the report section."""

from __future__ import annotations

import shutil

import pytest

from iitbench.cli.main import main
from tests.diagnose.conftest import copy_run, derived_base, read, run_pair


def _cli(capsys, *args: str) -> tuple[int, list[str]]:
    capsys.readouterr()  # what earlier steps printed (save_pretrained's progress bars)
    rc = main(["diagnose", *args, "--no-progress", "--n-boot", "200", "--threads", "1"])
    # A built-in suite built on first use says so once; whether that happens here depends on the tests run before.
    return rc, [line for line in capsys.readouterr().err.splitlines()
                if line.strip() and not line.startswith("building the IIT-synth")]


def test_layer_mismatch_refuses_cka_and_weight_drift_in_one_line_each(tmp_path, capsys):
    shallow = derived_base(tmp_path / "shallow", layers=2)
    rc, err = _cli(capsys, "--model", "wings-tiny", "--base", f"hf-causal:{shallow}", "--limit", "6",
                   "--iit-limit", "2", "--output", str(tmp_path / "out"))
    assert rc == 0
    assert err == [
        "iitbench diagnose: cannot compute the hidden-state CKA per layer (cka) for this pair: the layer counts differ "
        "(MLLM 4, base 2), so layers cannot be paired",
        "iitbench diagnose: cannot compute the weight drift (weight_drift) for this pair: the architectures differ: "
        "the MLLM's LLM has 4 decoder layers, the base 2"]
    d = read(tmp_path / "out", "diagnose.json")
    assert d["predictors"]["output_shift"]["status"] == d["predictors"]["mixing"]["status"] == "ok"
    assert d["summary"]["kl_mean"]["value"] > 0 and d["summary"]["cka_mean"]["value"] is None
    assert read(tmp_path / "out", "cka.json")["status"] == "not computable"


def test_vocabulary_and_width_mismatch_refuses_output_shift_and_weight_drift(tmp_path):
    other = derived_base(tmp_path / "other", hidden=64, permute_vocab=True)
    res = run_pair("wings-tiny", f"hf-causal:{other}", tmp_path / "out", limit=6, iit_limit=2)
    assert set(res.refusals) == {"output_shift", "weight_drift"}
    assert res.refusals["output_shift"].startswith("the vocabularies differ (2 of the base's 948 tokens differ; ")
    assert "embed_tokens.weight is (948, 64) in the base and (948, 128) in the MLLM" in res.refusals["weight_drift"]
    assert 0 <= res.value("cka_mean") <= 1  # CKA compares 128- and 64-wide states
    assert res.summary["predictors"]["mixing"]["status"] == "ok"


def test_an_hf_vlm_against_its_text_base(tmp_path):
    """Tiny LLaVA (hf:) whose vocabulary adds <image> to the base's: output shift over the base's ids, weight drift
    over the base's embedding rows, mixing through the processor's image expansion."""
    from tests.fixtures.tiny_lm import make_tiny_qwen2
    from tests.fixtures.tiny_vlms import make_tiny_llava

    llava, base = make_tiny_llava(tmp_path / "llava"), make_tiny_qwen2(tmp_path / "qwen")
    res = run_pair(f"hf:{llava}", f"hf-causal:{base}", tmp_path / "out", limit=6, iit_limit=3, candidates="letter")
    assert res.refusals == {}
    assert read(tmp_path / "out", "output_shift.json")["vocab"]["relation"] == "mllm extends base"
    emb = res.to_pandas("weights").set_index("name").loc["embed_tokens.weight"]
    assert emb["shape"] == "400x64" and emb["relative"] > 0
    assert res.summary["models"]["mllm"]["layers_prefix"] == "model.language_model.layers"
    assert res.summary["data"]["iit"]["n_used"] == 3


def test_rerun_recomputes_only_the_deleted_predictor(tmp_path, wings_runs):
    out = copy_run(wings_runs[4], tmp_path / "run")
    shutil.rmtree(out / "work")
    before = {p: (out / f"{p}.json").read_bytes() for p in ("output_shift", "cka", "weight_drift", "mixing")}
    stamps = {p: (out / f"{p}.json").stat().st_mtime_ns for p in before}
    (out / "cka.json").unlink()
    res = run_pair("wings-tiny", "base-tiny", out, batch_size=4)
    assert res.computed == ("cka",)
    for p in ("output_shift", "weight_drift", "mixing"):
        assert (out / f"{p}.json").read_bytes() == before[p] and (out / f"{p}.json").stat().st_mtime_ns == stamps[p]
    assert (out / "cka.json").read_bytes() == before["cka"]
    assert not (out / "work").exists()


def test_an_interrupted_run_resumes_from_its_finished_chunks(tmp_path, monkeypatch, wings_runs):
    import iitbench.diagnose.textpass as textpass

    monkeypatch.setattr(textpass, "CHUNK_ITEMS", 4)  # 10 items: chunks of 4, 4, 2
    real, calls = textpass._forward, []

    def forward(adapter, family, rows, states, where):
        calls.append(family)
        if family == "causal" and calls.count("causal") == 2 and not getattr(forward, "done", False):
            raise KeyboardInterrupt  # the base pass, second chunk
        return real(adapter, family, rows, states, where)

    monkeypatch.setattr(textpass, "_forward", forward)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_pair("wings-tiny", "base-tiny", out, batch_size=4, predictors="output_shift,cka")
    assert not any((out / f).exists() for f in ("diagnose.json", "output_shift.json", "cka.json"))
    assert not list(out.rglob("*.tmp")) and len(list((out / "work" / "mllm").glob("*.json"))) == 3
    forward.done, calls[:] = True, []
    res = run_pair("wings-tiny", "base-tiny", out, batch_size=4, predictors="output_shift,cka")
    assert calls == ["causal", "causal"]  # base chunks 2 and 3 only; the MLLM's chunks were all kept
    full = read(wings_runs[4], "diagnose.json")
    for key in ("kl_mean", "js_mean", "cka_mean"):
        assert res.value(key) == pytest.approx(full["summary"][key]["value"], abs=1e-6)


@pytest.mark.parametrize("args, message", [
    (["--suite", "iit"], "--suite iit: diagnose compares the models on text"),
    (["--predictors", "cka,attention"], "--predictors 'cka,attention': use a comma-separated subset of"),
    (["--iit-limit", "0"], "--iit-limit 0: must be an integer of at least 1"),
    (["--model", "dummy"], "--model dummy: diagnose reads weights and hidden states"),
])
def test_bad_input_is_one_line(tmp_path, capsys, args, message):
    base = ["--model", "wings-tiny", "--base", "base-tiny", "--limit", "2", "--output", str(tmp_path / "o")]
    for i in range(0, len(args), 2):  # a flag given here replaces the default one
        if args[i] in base:
            base[base.index(args[i]) + 1] = args[i + 1]
        else:
            base += args[i:i + 2]
    rc, err = _cli(capsys, *base)
    assert rc == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "o" / "diagnose.json").exists()


def test_other_outputs_and_other_settings_are_refused(tmp_path, capsys, wings_runs):
    (tmp_path / "fg").mkdir()
    (tmp_path / "fg" / "forgetting.json").write_text("{}")
    rc, err = _cli(capsys, "--model", "wings-tiny", "--base", "base-tiny", "--output", str(tmp_path / "fg"))
    assert rc == 2 and err == [f"iitbench diagnose: error: --output {tmp_path / 'fg'}: holds the output of "
                               f"`iitbench forgetting` (forgetting.json); choose another --output"]
    out = copy_run(wings_runs[4], tmp_path / "run")
    rc, err = _cli(capsys, "--model", "wings-tiny", "--base", "base-tiny", "--limit", "5", "--output", str(out))
    assert rc == 2 and len(err) == 1 and "made with other settings (limit" in err[0]


def test_the_report_has_a_rival_predictors_section(tmp_path, wings_runs):
    from iitbench import api

    api.report([wings_runs[4]], tmp_path / "r.md")
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    kl = read(wings_runs[4], "diagnose.json")["summary"]["kl_mean"]
    assert "## Rival predictors of text forgetting" in text
    assert f"| [D1] wings-tiny vs base-tiny | {kl['value']:.4f} [{kl['lo']:.4f}, {kl['hi']:.4f}]" in text
    assert (tmp_path / "r-diagnose-layers.png").is_file()


def test_cloze_prompts_of_a_wings_mllm_are_the_base_llms_raw_text_ids(tmp_path):
    """text-real's default answer format is cloze; a WINGS MLLM scores it as raw text (WingsAdapter.score_text), so
    diagnose reads its answer position on those ids: the base LLM's own, token for token."""
    from iitbench.api.models import resolve_model
    from iitbench.diagnose.prompts import TextPrompt, encode

    mllm, base = resolve_model("wings-tiny").adapter, resolve_model("base-tiny").adapter
    prompt = TextPrompt(key="q1", messages=(), cloze="Question: what is 2 plus 3?\nAnswer: ")
    wings_ids, causal_ids = encode(mllm, "wings", prompt), encode(base, "causal", prompt)
    assert wings_ids.ids == tuple(mllm.processor.encode_text("Question: what is 2 plus 3?\nAnswer:"))
    assert wings_ids.ids == causal_ids.ids and wings_ids.payload == ()
    found = run_pair("wings-tiny", "base-tiny", tmp_path / "cloze", candidates="cloze", limit=4,
                     predictors="output_shift")
    assert found.summary["predictors"]["output_shift"]["status"] == "ok"
    assert 0 <= found.summary["summary"]["kl_mean"]["value"] < 0.01  # wings-tiny keeps base-tiny's text
