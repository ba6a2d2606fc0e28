"""The catalogue of bad inputs: each exits 2 with ONE line on stderr, no traceback, and nothing half-written.

Every case builds its own broken input under tmp_path and calls a command in-process (`iitbench`, `wings-convert`,
`wings-train`); an exception escaping the command fails the test as a traceback would. `gone` lists what the refused
command must not have written.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from iitbench.cli.main import main as iitbench
from tests.runner.dataset_factory import make_dataset
from wings_ref.convert import main as wings_convert
from wings_ref.train.cli import main as wings_train

CASES: dict[str, Callable[[Path], tuple[Callable[[], int], list[Path]]]] = {}


def case(fn):
    CASES[fn.__name__.removeprefix("case_")] = fn
    return fn


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


# ------------------------------------------------------------------------------------------------ wings-convert
def official_checkpoint(tmp: Path) -> Path:
    from tests.wings_ref.official_layout import build_direct_model, official_state, write_checkpoint

    return write_checkpoint(tmp / "official", official_state(build_direct_model()))


def convert(src: Path, out: Path, *extra: str) -> Callable[[], int]:
    return lambda: wings_convert([str(src), str(out), *extra])


@case
def case_convert_truncated_shard(tmp):
    src = official_checkpoint(tmp)
    shard = next(iter(sorted(src.glob("*.safetensors"))))
    shard.write_bytes(shard.read_bytes()[:-64])
    return convert(src, tmp / "out"), [tmp / "out"]


@case
def case_convert_empty_shard(tmp):
    src = official_checkpoint(tmp)
    next(iter(sorted(src.glob("*.safetensors")))).write_bytes(b"")
    return convert(src, tmp / "out"), [tmp / "out"]


@case
def case_convert_malformed_config_json(tmp):
    src = official_checkpoint(tmp)
    (src / "config.json").write_text("{not json")
    return convert(src, tmp / "out"), [tmp / "out"]


@case
def case_convert_config_json_not_an_object(tmp):
    src = official_checkpoint(tmp)
    (src / "config.json").write_text("[1, 2]")
    return convert(src, tmp / "out"), [tmp / "out"]


def _pickle_only(tmp: Path, payload: bytes) -> Path:
    src = official_checkpoint(tmp)
    for f in [*src.glob("*.safetensors"), *src.glob("*.index.json")]:
        f.unlink()
    (src / "pytorch_model.bin").write_bytes(payload)
    return src


@case
def case_convert_allow_pickle_with_an_empty_bin(tmp):
    return convert(_pickle_only(tmp, b""), tmp / "out", "--allow-pickle"), [tmp / "out"]


@case
def case_convert_allow_pickle_with_a_broken_bin(tmp):
    return convert(_pickle_only(tmp, b"PK\x03\x04 not really a zip"), tmp / "out", "--allow-pickle"), [tmp / "out"]


@case
def case_convert_negative_vision_layers_kept(tmp):
    return convert(official_checkpoint(tmp), tmp / "out", "--vision-layers-kept", "-1"), [tmp / "out"]


@case
def case_convert_output_under_a_file(tmp):
    (tmp / "file").write_text("keep me")
    return convert(official_checkpoint(tmp), tmp / "file" / "out"), []


# -------------------------------------------------------------------------------------------------- wings-train
def train(tmp: Path, *overrides: str, **config) -> tuple[Callable[[], int], list[Path]]:
    from tests.wings_ref.train.train_tiny import base_config

    cfg = base_config(tmp, **config)
    path = tmp / "train.json"
    path.write_text(json.dumps(cfg))
    argv = [str(path)] + [x for o in overrides for x in ("-o", o)]
    return lambda: wings_train(argv), [Path(cfg["output_dir"])]


@case
def case_train_epochs_not_a_number(tmp):
    return train(tmp, "num_train_epochs=abc")


@case
def case_train_batch_size_zero(tmp):
    return train(tmp, "per_device_train_batch_size=0")


@case
def case_train_missing_model_path(tmp):
    return train(tmp, f"model_path={tmp / 'nowhere'}")


@case
def case_train_model_dir_without_tokenizer(tmp):
    from tests.wings_ref.train.train_tiny import model_dir

    bare = tmp / "bare"
    shutil.copytree(model_dir(True), bare)
    for f in bare.glob("*token*"):
        f.unlink()
    return train(tmp, f"model_path={bare}")


@case
def case_train_output_under_a_file(tmp):
    (tmp / "file").write_text("keep me")
    return train(tmp, f"output_dir={tmp / 'file' / 'out'}")


# ------------------------------------------------------------------------------------------------------ the test
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line_and_writes_nothing(name, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("IITBENCH_CACHE", str(tmp_path / "cache"))
    invoke, gone = CASES[name](tmp_path)
    capsys.readouterr()
    try:
        code = invoke()
    except SystemExit as exit_:  # argparse usage errors leave through SystemExit
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err and "\n" not in err and "Traceback" not in err, err
    assert [p for p in gone if p.exists()] == []


def test_forgetting_markdown_escapes_names_and_tasks():
    from iitbench.report.forgetting import forgetting_markdown

    comparison = {"n": 1, "acc_a": 1.0, "acc_b": 0.0, "delta": 1.0, "delta_ci95": [1.0, 1.0], "only_a_correct": 1,
                  "only_b_correct": 0, "mcnemar_p": 1.0, "agreement": 0.0}
    summary = {"models": {"mllm": {"name": "<script>alert(1)</script>"}, "base": {"name": "b"}},
               "comparison": {"per_task": {'<img src=x onerror="alert(1)">': comparison}, "overall": comparison},
               "template": {"mllm_chat_template_hash": None, "base_chat_template_hash": None, "prompt_hash": "0" * 12,
                            "chat_templates_match": True}}
    md = forgetting_markdown(summary)
    assert "\\<script" in md and "\\<img" in md  # escaped: Markdown shows the text, renders no tag
    assert not re.search(r"(?<!\\)<", md)
