"""The forgetting monitor inside wings-train runs on a tiny WINGS model: what it logs (Trainer log history, JSONL,
plot, warning) and that it leaves training untouched (bit-identical final weights), fresh and resumed."""

from __future__ import annotations

import json
import logging

import pytest
import torch
from safetensors.torch import load_file

from iitbench.monitor.records import LOG_PREFIX, read_records
from wings_ref.train.config import config_from_dict
from wings_ref.train.trainer import build_run, train

# The monitor as wings-train takes it: a callback named by import path (-1: a threshold that always warns)
MONITOR = {"monitor": {"path": "iitbench.monitor.wings_train.forgetting_monitor", "every_steps": 2, "n_text": 8,
                       "n_mm": 4, "max_text_drop": -1.0, "n_boot": 200}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, run_config):
    """The same 4-step run without and with the monitor (every 2 steps; a threshold that must warn)."""
    plain_dir, monitored_dir = tmp_path_factory.mktemp("plain"), tmp_path_factory.mktemp("monitored")
    train(build_run(config_from_dict(run_config(plain_dir))))
    handler = _Capture()
    logging.getLogger("iitbench.monitor").addHandler(handler)
    try:
        run = build_run(config_from_dict(run_config(monitored_dir, callbacks=MONITOR)))
        log = train(run)
    finally:
        logging.getLogger("iitbench.monitor").removeHandler(handler)
    return {"plain": plain_dir / "out", "monitored": monitored_dir / "out", "run": run, "log": log,
            "warnings": handler.messages}


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _same_weights(a, b) -> bool:
    wa, wb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_the_monitor_does_not_change_the_trained_weights(runs):
    assert _same_weights(runs["plain"], runs["monitored"])
    plain = json.loads((runs["plain"] / "train_log.json").read_text())
    assert [e["loss"] for e in plain["losses"]] == [e["loss"] for e in runs["log"]["losses"]]
    unmonitored = config_from_dict({**runs["log"]["config"], "callbacks": None})
    assert unmonitored.config_hash() == runs["log"]["config_hash"]  # callbacks are not in the run's hash
    assert runs["log"]["config"]["callbacks"]["monitor"]["every_steps"] == 2  # but train_log.json records them


def test_wings_train_attached_the_monitor_with_the_checkpoints_processor(runs):
    from wings_ref.processing_wings import WingsProcessor

    [monitor] = runs["run"].callbacks
    assert monitor in runs["run"].trainer.callback_handler.callbacks and monitor._trainer is runs["run"].trainer
    assert isinstance(monitor.processor, WingsProcessor)


def test_every_interval_is_in_the_trainer_log_history(runs):
    history = runs["run"].trainer.state.log_history
    entries = [e for e in history if LOG_PREFIX + "text_delta" in e]
    assert [e["step"] for e in entries] == [0, 2, 4]
    for e in entries:
        assert {LOG_PREFIX + k for k in ("text_acc", "text_acc_start", "text_delta_lo", "text_delta_hi",
                                         "laws_shift", "laws_shift_lo", "laws_shift_hi", "seconds")} <= set(e)
        assert e[LOG_PREFIX + "text_delta_lo"] <= e[LOG_PREFIX + "text_delta"] <= e[LOG_PREFIX + "text_delta_hi"]
    assert entries[0][LOG_PREFIX + "text_delta"] == 0.0  # the starting model against itself
    # the trainer's own loss logging of the monitored steps survived (trainer.log clears control.should_log)
    assert [e["step"] for e in history if "loss" in e] == [1, 2, 3, 4]


def test_the_jsonl_holds_one_record_per_evaluation_with_warning_flags(runs):
    records = read_records(runs["monitored"] / "monitor" / "monitor.jsonl")
    assert [r.step for r in records] == [0, 2, 4]
    assert [r.warning for r in records] == [False, True, True]  # the reference itself never warns
    for r in records:
        assert r.text_n == 8 and r.text_acc_start == records[0].text_acc
        assert r.shift is not None and r.shift_n == 4 and r.shift_start == records[0].shift
        assert r.seconds > 0
    assert "max_text_drop=-1.0" in records[1].warning_message
    baseline = json.loads((runs["monitored"] / "monitor" / "baseline.json").read_text())
    assert baseline["step"] == 0 and len(baseline["text"]["ids"]) == 8


def test_the_warning_is_logged_and_the_plot_written(runs):
    assert len(runs["warnings"]) == 2 and all("max_text_drop" in m for m in runs["warnings"])
    png = runs["monitored"] / "monitor" / "monitor.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_resumed_run_compares_with_the_stored_start(tmp_path, run_config, runs):
    from tests.wings_ref.train.test_train_resume import StopAfter

    first = build_run(config_from_dict(run_config(tmp_path, callbacks=MONITOR, save_steps=2)), callbacks=[StopAfter(2)])
    first.trainer.train()  # interrupted after step 2 and its checkpoint
    resumed = build_run(config_from_dict(run_config(tmp_path, callbacks=MONITOR, save_steps=2,
                                                    resume_from_checkpoint="auto")))
    log = train(resumed)
    assert log["global_step"] == 4 and log["resumed_from"].endswith("checkpoint-2")
    records = read_records(tmp_path / "out" / "monitor" / "monitor.jsonl")
    assert [r.step for r in records] == [0, 2, 4]  # no second reference at the resumed step
    reference = read_records(runs["monitored"] / "monitor" / "monitor.jsonl")
    # the start's answers come from baseline.json, not from the resumed model
    assert all(r.text_acc_start == reference[0].text_acc for r in records)
    history = resumed.trainer.state.log_history  # steps 0 and 2 come back with the checkpoint's trainer state
    assert [e["step"] for e in history if LOG_PREFIX + "text_delta" in e] == [0, 2, 4]
