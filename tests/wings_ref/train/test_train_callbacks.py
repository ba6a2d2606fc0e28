"""wings-train callbacks named by import path in the config (wings_ref/train/callbacks.py), and wings_ref standing
alone: its code names no iitbench module (comments may)."""

from __future__ import annotations

import io
import json
import tokenize
from pathlib import Path

import pytest
import yaml
from transformers import TrainerCallback

from tests.wings_ref.train.train_tiny import base_config
from wings_ref.train.callbacks import attach_callbacks, build_callbacks
from wings_ref.train.cli import main as wings_train
from wings_ref.train.config import config_from_dict, load_config
from wings_ref.train.errors import TrainConfigError
from wings_ref.train.trainer import build_run, train

REQUIRED = dict(model_path="m", data_path="d", output_dir="o")
HERE = __name__


class Counter(TrainerCallback):
    """Counts optimizer steps; `every` is a keyword argument from the config."""

    def __init__(self, every: int = 1):
        if every < 1:
            raise ValueError(f"every={every}: use a positive integer")
        self.every, self.steps = every, 0

    def on_step_end(self, args, state, control, **kwargs):
        self.steps += 1


class Attached(Counter):
    """A callback that wants the trainer (as a monitor logging through `trainer.log` does)."""

    def attach(self, trainer):
        self.trainer = trainer
        trainer.add_callback(self)
        return self


class BadInput(Exception):
    exit_code = 2  # a bad-input error by the CLI convention: wings-train reports it in one line


def refuse(**keys):
    raise BadInput(f"refuse: cannot take {sorted(keys)}")


class RefuseAtTrainBegin(TrainerCallback):
    def on_train_begin(self, args, state, control, **kwargs):
        raise BadInput("refuse-at-train-begin: this run cannot be watched; remove the callback")


def test_the_callbacks_block_is_checked_and_overridable(tmp_path):
    assert config_from_dict(REQUIRED).callbacks == {} and "callbacks" not in config_from_dict(REQUIRED).to_dict()
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({**REQUIRED, "callbacks": {"count": {"path": f"{HERE}.Counter", "every": 2}}}))
    cfg = load_config(path, ["callbacks.count.every=3", "callbacks.extra.path=" + f"{HERE}:Attached"])
    assert cfg.callbacks == {"count": {"path": f"{HERE}.Counter", "every": 3}, "extra": {"path": f"{HERE}:Attached"}}
    assert cfg.to_dict()["callbacks"] == cfg.callbacks
    assert cfg.config_hash() == config_from_dict(REQUIRED).config_hash()  # they watch training: not in the hash
    assert load_config(path, ["callbacks.count=null"]).callbacks == {}
    for bad in ([f"{HERE}.Counter"], {"count": f"{HERE}.Counter"}, {"count": {"every": 2}}, {"count": {"path": ""}}):
        with pytest.raises(TrainConfigError, match="callbacks"):
            config_from_dict({**REQUIRED, "callbacks": bad})
    with pytest.raises(TrainConfigError, match="lr_llm is not a mapping"):
        load_config(path, ["lr_llm=1e-5", "lr_llm.x=1"])


@pytest.mark.parametrize("entry, match", [
    ({"path": "no_such_package_xyz.Callback"}, r"callbacks\.c: cannot import 'no_such_package_xyz'"),
    ({"path": f"{HERE}.Missing"}, r"callbacks\.c: .* has no attribute 'Missing'"),
    ({"path": f"{HERE}.REQUIRED"}, r"callbacks\.c: .* is not callable"),
    ({"path": "Counter"}, r"callbacks\.c: path 'Counter' is not package\.module\.attr"),
    ({"path": f"{HERE}.Counter", "every": 0}, r"^callbacks\.c: every=0: use a positive integer$"),
    ({"path": f"{HERE}.Counter", "evry": 2}, r"^callbacks\.c: .*unexpected keyword argument 'evry'"),
    ({"path": f"{HERE}.refuse", "x": 1}, r"^callbacks\.c: refuse: cannot take \['x'\]$"),
])
def test_a_callback_that_cannot_be_built_is_one_config_error(entry, match):
    with pytest.raises(TrainConfigError, match=match):
        build_callbacks({"c": entry})


def test_callbacks_are_built_in_order_and_attached_their_way():
    counter, attached = build_callbacks({"a": {"path": f"{HERE}.Counter", "every": 2},
                                         "b": {"path": f"{HERE}:Attached"}})
    assert (type(counter), counter.every, type(attached)) == (Counter, 2, Attached)

    class FakeTrainer:
        def __init__(self):
            self.added = []

        def add_callback(self, cb):
            self.added.append(cb)

    trainer = FakeTrainer()
    attach_callbacks([counter, attached], trainer)
    assert trainer.added == [counter, attached] and attached.trainer is trainer


def test_a_configured_callback_watches_a_real_run(tmp_path):
    cfg = config_from_dict(base_config(tmp_path, callbacks={"count": {"path": f"{HERE}.Counter"},
                                                            "attached": {"path": f"{HERE}.Attached"}}))
    run = build_run(cfg)
    log = train(run)
    counter, attached = run.callbacks
    assert counter.steps == attached.steps == log["global_step"] == 2 and attached.trainer is run.trainer
    assert log["config"]["callbacks"]["count"] == {"path": f"{HERE}.Counter"}


def test_a_callbacks_bad_input_error_while_training_exits_2_in_one_line(tmp_path, capsys):
    cfg = base_config(tmp_path, callbacks={"refuse": {"path": f"{HERE}.RefuseAtTrainBegin"}})
    (tmp_path / "train.json").write_text(json.dumps(cfg))
    assert wings_train([str(tmp_path / "train.json")]) == 2
    err = capsys.readouterr().err.strip()  # after the weight-loading progress bar: training had started
    assert "Traceback" not in err
    assert err.splitlines()[-1] == "error: refuse-at-train-begin: this run cannot be watched; remove the callback"


def test_wings_ref_code_names_no_iitbench_module():
    """`grep -rn iitbench wings_ref --include=*.py` finds comments only: no import, no string (docstrings included)."""
    root = Path(__file__).resolve().parents[3] / "wings_ref"
    found = []
    for path in sorted(root.rglob("*.py")):
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type != tokenize.COMMENT and "iitbench" in tok.string:
                found.append(f"{path.relative_to(root.parent)}:{tok.start[0]}")
    assert found == []
