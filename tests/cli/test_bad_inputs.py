"""The catalogue of bad inputs to the iitbench CLI: each exits 2 with ONE line on stderr, no traceback, and nothing
half-written (the contract and its check: tests/cli/bad_inputs.py; the wings_ref tools have their own catalogue in
tests/wings_ref/test_wings_tools_bad_inputs.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from iitbench.cli.main import main as iitbench
from tests.cli.bad_inputs import catalogue, check_refused
from tests.runner.dataset_factory import make_dataset

CASES, case = catalogue()


def run_random(data: Path, out: Path, *extra: str) -> Callable[[], int]:
    return lambda: iitbench(["run", "--model", "random", "--suite", str(data), "--output", str(out), "--no-progress",
                             *extra])


def _items(data: Path) -> list[dict]:
    return [json.loads(line) for line in (data / "items.jsonl").read_text(encoding="utf-8").splitlines()]


def _write_items(data: Path, items: list[dict]) -> None:
    (data / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")


def broken_dataset(tmp: Path, edit: Callable[[Path], None]) -> tuple[Callable[[], int], list[Path]]:
    data = make_dataset(tmp / "ds", per_config=1)
    edit(data)
    return run_random(data, tmp / "out"), [tmp / "out" / "run.json", tmp / "out" / "samples.jsonl"]


# ----------------------------------------------------------------------------------------------------- datasets
@case
def case_items_not_utf8(tmp):
    return broken_dataset(tmp, lambda d: (d / "items.jsonl").open("ab").write(b'{"id": "x\xff"}\n'))


@case
def case_items_json_nested_too_deep(tmp):
    return broken_dataset(tmp, lambda d: (d / "items.jsonl").open("a").write("[" * 100_000 + "]" * 100_000 + "\n"))


@case
def case_items_malformed_json(tmp):
    return broken_dataset(tmp, lambda d: (d / "items.jsonl").open("a").write("{\n"))


@case
def case_items_jsonl_is_a_directory(tmp):
    def edit(d):
        (d / "items.jsonl").unlink()
        (d / "items.jsonl").mkdir()
    return broken_dataset(tmp, edit)


@case
def case_card_licences_given_as_a_list(tmp):
    def edit(d):
        card = json.loads((d / "dataset.json").read_text())
        (d / "dataset.json").write_text(json.dumps({**card, "licences": ["CC0"]}))
    return broken_dataset(tmp, edit)


@case
def case_item_id_with_a_lone_surrogate(tmp):
    def edit(d):
        lines = (d / "items.jsonl").read_text().splitlines()
        item = json.loads(lines[0])
        lines[0] = json.dumps({**item, "id": "T-SURROGATE"}).replace("SURROGATE", "\\ud800")
        (d / "items.jsonl").write_text("\n".join(lines) + "\n")
    return broken_dataset(tmp, edit)


@case
def case_empty_choice(tmp):
    def edit(d):
        items = _items(d)
        items[0]["turns"][-1]["choices"][0] = ""
        _write_items(d, items)
    return broken_dataset(tmp, edit)


@case
def case_missing_image(tmp):
    return broken_dataset(tmp, lambda d: [f.unlink() for f in (d / "images").iterdir()])


@case
def case_image_path_outside_the_dataset(tmp):
    def edit(d):
        items = _items(d)
        for item in items:
            for turn in item["turns"]:
                for part in turn["parts"]:
                    if part["type"] == "image":
                        part["path"] = "../../etc/passwd"
        _write_items(d, items)
    return broken_dataset(tmp, edit)


# ------------------------------------------------------------------------------------------------ models, flags
@case
def case_model_arg_of_the_wrong_type(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    return run_random(data, tmp / "out", "--model-args", "seed=abc"), [tmp / "out"]


@case
def case_unknown_model(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    return lambda: iitbench(["run", "--model", "no-such-model", "--suite", str(data), "--output", str(tmp / "o")]), \
        [tmp / "o"]


@case
def case_bad_flag_value(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    return run_random(data, tmp / "out", "--mode", "sideways"), [tmp / "out"]


@case
def case_hf_weights_only_as_pickle(tmp):
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    model = make_tiny_qwen2(tmp / "m")
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(model).save_pretrained(model, safe_serialization=False)
    for f in model.glob("*.safetensors"):
        f.unlink()
    data = make_dataset(tmp / "ds", per_config=1, configs=("T",))
    return lambda: iitbench(["run", "--model", f"hf-causal:{model}", "--suite", str(data), "--output",
                             str(tmp / "out")]), [tmp / "out" / "run.json"]


@case
def case_hf_unknown_architecture_with_auto_map(tmp):
    model = tmp / "mystery"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"model_type": "mystery", "architectures": ["MysteryLM"],
                                                   "auto_map": {"AutoModelForCausalLM": "modeling.MysteryLM"}}))
    data = make_dataset(tmp / "ds", per_config=1, configs=("T",))
    return lambda: iitbench(["run", "--model", f"hf-causal:{model}", "--suite", str(data), "--output",
                             str(tmp / "out")]), [tmp / "out" / "run.json"]


@case
def case_dialogue_longer_than_the_window(tmp):
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    model = make_tiny_qwen2(tmp / "m", max_position_embeddings=64)
    data = make_dataset(tmp / "ds", per_config=1, configs=("TTT",))
    return lambda: iitbench(["run", "--model", f"hf-causal:{model}", "--model-args", "truncation=error", "--suite",
                             str(data), "--output", str(tmp / "out"), "--no-progress"]), [tmp / "out" / "results.json"]


# ------------------------------------------------------------------------------------------------------ outputs
@case
def case_run_output_is_a_file(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    (tmp / "out").write_text("keep me")
    return run_random(data, tmp / "out"), []


@case
def case_run_output_under_a_file(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    (tmp / "file").write_text("keep me")
    return run_random(data, tmp / "file" / "out"), []


@case
def case_build_output_under_a_file(tmp):
    (tmp / "file").write_text("keep me")
    return lambda: iitbench(["build", "--source", "synth", "--configs", "T", "--per-config", "1", "--grouping",
                             "random", "--out", str(tmp / "file" / "data")]), []


@case
def case_report_out_is_an_existing_directory(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    assert run_random(data, tmp / "run")() == 0
    (tmp / "report").mkdir()
    return lambda: iitbench(["report", str(tmp / "run"), "--out", str(tmp / "report")]), [tmp / "report.tmp"]


@case
def case_laws_output_under_a_file_fails_before_any_work(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    (tmp / "file").write_text("keep me")
    return lambda: iitbench(["laws", "--model", "random", "--data", str(data), "--output",
                             str(tmp / "file" / "laws")]), []


@case
def case_laws_output_is_a_run_directory(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    assert run_random(data, tmp / "run")() == 0
    return lambda: iitbench(["laws", "--model", "random", "--data", str(data), "--output", str(tmp / "run")]), \
        [tmp / "run" / "laws_summary.json", tmp / "run" / "laws.npz"]


@case
def case_run_output_is_a_forgetting_directory(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    (tmp / "fg").mkdir()
    (tmp / "fg" / "forgetting.json").write_text("{}")
    return run_random(data, tmp / "fg"), [tmp / "fg" / "run.json"]


@case
def case_forgetting_output_is_a_file(tmp):
    data = make_dataset(tmp / "ds", per_config=1, configs=("T",))
    (tmp / "fg").write_text("keep me")
    return lambda: iitbench(["forgetting", "--model", "random", "--base", "dummy", "--suite", str(data),
                             "--output", str(tmp / "fg")]), []


@case
def case_forgetting_with_nothing_to_pair(tmp):
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    base = make_tiny_qwen2(tmp / "base")
    data = make_dataset(tmp / "ds", per_config=2, configs=("V",))
    return lambda: iitbench(["forgetting", "--model", "random", "--base", f"hf-causal:{base}", "--suite", str(data),
                             "--output", str(tmp / "fg"), "--no-progress"]), [tmp / "fg" / "forgetting.json"]


# ------------------------------------------------- outputs that cannot be created, whoever runs the command
def uncreatable(tmp: Path, name: str) -> Path:
    """A new entry of /proc, a pseudo file system: mkdir fails there for root too, though the permission bits
    (`os.access`) let root write; so does a path under a file (the cases above)."""
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    return Path("/proc") / f"iitbench-test-{tmp.name}-{name}"


def _refused_naming(invoke: Callable[[], int], out: Path):
    return invoke, [out], out


@case
def case_run_output_cannot_be_created(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    out = uncreatable(tmp, "run")
    return _refused_naming(run_random(data, out), out)


@case
def case_build_out_cannot_be_created(tmp):
    out = uncreatable(tmp, "data")
    return _refused_naming(lambda: iitbench(["build", "--source", "synth", "--configs", "T", "--per-config", "1",
                                             "--grouping", "random", "--out", str(out)]), out)


@case
def case_forgetting_output_cannot_be_created(tmp):
    data = make_dataset(tmp / "ds", per_config=1, configs=("T",))
    out = uncreatable(tmp, "fg")
    return _refused_naming(lambda: iitbench(["forgetting", "--model", "random", "--base", "dummy", "--suite",
                                             str(data), "--output", str(out), "--no-progress"]), out)


@case
def case_laws_output_cannot_be_created(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    out = uncreatable(tmp, "laws")
    return _refused_naming(lambda: iitbench(["laws", "--model", "wings-tiny", "--data", str(data), "--output",
                                             str(out), "--no-progress"]), out)


@case
def case_laws_compare_output_cannot_be_created(tmp):
    out = uncreatable(tmp, "compare")
    return _refused_naming(lambda: iitbench(["laws", "--compare", str(tmp / "a"), str(tmp / "b"), "--output",
                                             str(out)]), out)


@case
def case_report_out_cannot_be_created(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    assert run_random(data, tmp / "run")() == 0
    out = uncreatable(tmp, "report.html")
    return _refused_naming(lambda: iitbench(["report", str(tmp / "run"), "--out", str(out)]), out)


@case
def case_zoo_build_out_cannot_be_created(tmp):
    out = uncreatable(tmp, "zoo")
    return _refused_naming(lambda: iitbench(["zoo", "build", "--only", "base-tiny", "--no-eval", "--out", str(out),
                                             "--leaderboard", str(tmp / "zoo.md")]), out)


@case
def case_zoo_build_leaderboard_under_a_file(tmp):
    (tmp / "file").write_text("keep me")
    out = tmp / "file" / "zoo.md"
    return _refused_naming(lambda: iitbench(["zoo", "build", "--only", "base-tiny", "--no-eval", "--out",
                                             str(tmp / "zoo"), "--leaderboard", str(out)]), out)


@case
def case_study_output_cannot_be_created(tmp):
    out = uncreatable(tmp, "study")
    study = tmp / "study.yaml"
    study.write_text(f"name: s\noutput: {out}\nmodels:\n  - {{name: r, model: random}}\nanalyses: [iit]\n")
    return _refused_naming(lambda: iitbench(["study", str(study)]), out)


@case
def case_leaderboard_out_cannot_be_created(tmp):
    out = uncreatable(tmp, "leaderboard")
    return _refused_naming(lambda: iitbench(["leaderboard", str(tmp), "--out", str(out)]), out)


@case
def case_export_lm_eval_out_cannot_be_created(tmp):
    out = uncreatable(tmp, "lm-eval")
    return _refused_naming(lambda: iitbench(["export-lm-eval", "--out", str(out)]), out)


# ------------------------------------------------------------------------------------------------------ reports
@case
def case_report_recompute_of_a_truncated_samples_file(tmp):
    data = make_dataset(tmp / "ds", per_config=3)
    assert run_random(data, tmp / "run")() == 0
    samples = tmp / "run" / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    samples.write_text("".join(lines[:len(lines) // 2]))
    return lambda: iitbench(["report", str(tmp / "run"), "--recompute", "--out", str(tmp / "r.html")]), \
        [tmp / "r.html"]


@case
def case_report_of_results_whose_metrics_is_a_list(tmp):
    data = make_dataset(tmp / "ds", per_config=1)
    assert run_random(data, tmp / "run")() == 0
    results = json.loads((tmp / "run" / "results.json").read_text())
    (tmp / "run" / "results.json").write_text(json.dumps({**results, "metrics": []}))
    return lambda: iitbench(["report", str(tmp / "run"), "--out", str(tmp / "r.md")]), [tmp / "r.md"]


# ------------------------------------------------------------------------------------------------------ the test
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(name, tmp_path, capsys, monkeypatch):
    check_refused(CASES[name], tmp_path, capsys, monkeypatch)


# ------------------------------------------------------------- a disk that fills up after the output checks passed
def test_a_full_disk_mid_run_exits_2_naming_the_output(tmp_path, capsys, monkeypatch):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")  # as write() raises it: no file name

    data = make_dataset(tmp_path / "ds", per_config=1)
    monkeypatch.setattr("iitbench.runner.session.write_results", full)
    assert run_random(data, tmp_path / "out")() == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"iitbench run: error: {tmp_path / 'out'}: cannot write (No space left on device); free space or "
                   "choose another output, then rerun")


def test_other_os_errors_stay_bugs(tmp_path, monkeypatch):
    import errno

    def missing(*args, **kwargs):
        raise OSError(errno.ENOENT, "No such file or directory", "somewhere")

    data = make_dataset(tmp_path / "ds", per_config=1)
    monkeypatch.setattr("iitbench.runner.session.write_results", missing)
    with pytest.raises(FileNotFoundError):
        run_random(data, tmp_path / "out")()
