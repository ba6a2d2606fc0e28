"""The catalogue of bad inputs to the wings_ref tools (`wings-convert`, `wings-train`): each exits 2 with ONE line on
stderr, no traceback, and nothing half-written (the contract and its check: tests/cli/bad_inputs.py)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.bad_inputs import catalogue, check_refused
from wings_ref.convert import main as wings_convert
from wings_ref.train.cli import main as wings_train

CASES, case = catalogue()


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
def case_convert_negative_vision_layers_kept(tmp):  # named as the user typed it, not as the keyword it feeds
    return convert(official_checkpoint(tmp), tmp / "out", "--vision-layers-kept", "-1"), [tmp / "out"], \
        "--vision-layers-kept: -1"


@case
def case_convert_output_under_a_file(tmp):
    (tmp / "file").write_text("keep me")
    return convert(official_checkpoint(tmp), tmp / "file" / "out"), []


def uncreatable(tmp: Path, name: str) -> Path:
    """A new entry of /proc, a pseudo file system: mkdir fails there for root too, though the permission bits let
    root write."""
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    return Path("/proc") / f"wings-test-{tmp.name}-{name}"


@case
def case_convert_output_cannot_be_created(tmp):
    out = uncreatable(tmp, "convert")
    return convert(official_checkpoint(tmp), out), [out], out


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


@case
def case_train_output_cannot_be_created(tmp):
    out = uncreatable(tmp, "train")
    invoke, _ = train(tmp, f"output_dir={out}")
    return invoke, [out], out


@case
def case_train_callback_not_importable(tmp):
    invoke, gone = train(tmp, "callbacks.watch.path=no_such_package_xyz.Watch")
    return invoke, gone, "callbacks.watch"


@case
def case_train_callback_refuses_its_keys(tmp):
    invoke, gone = train(tmp, "callbacks.frac.path=fractions.Fraction", "callbacks.frac.numerator=abc")
    return invoke, gone, "callbacks.frac"


@case
def case_train_old_monitor_block(tmp):
    invoke, gone = train(tmp, "monitor.every_steps=10")
    return invoke, gone, "callbacks:"


# ------------------------------------------------------------------------------------------------------ the test
@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_tool_input_exits_2_with_one_line_and_writes_nothing(name, tmp_path, capsys, monkeypatch):
    check_refused(CASES[name], tmp_path, capsys, monkeypatch)


def test_a_full_disk_while_converting_exits_2_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    import errno
    from types import SimpleNamespace

    import wings_ref.convert as convert_module

    def full(directory):  # the model's save_pretrained: a first shard, then the disk is full
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / "model.safetensors").write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    loaded = SimpleNamespace(model=SimpleNamespace(save_pretrained=full))
    monkeypatch.setattr(convert_module, "read_official", lambda *args, **kwargs: loaded)
    (tmp_path / "src").mkdir()
    assert convert(tmp_path / "src", tmp_path / "out")() == 2
    assert capsys.readouterr().err.strip() == (f"error: {tmp_path / 'out'}: cannot write (No space left on device); "
                                               "free space or choose another output, then rerun")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no out, no out.partial
