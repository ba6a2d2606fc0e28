"""The monitor in a plain HF Trainer run of a causal LM (not WINGS): its logs reach on_log callbacks (what every
report_to integration is) when attached, log_history only when merely listed, and training is unchanged - with
attention dropout on, so a callback that consumed the torch RNG would change the weights (the control shows it)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainerCallback, TrainingArguments

from iitbench.monitor import ForgettingMonitor
from iitbench.monitor.records import LOG_PREFIX, read_records
from tests.fixtures.tiny_lm import make_tiny_qwen2

MONITOR = {"every_steps": 2, "n_text": 7, "n_mm": 2, "n_boot": 100}


class Recorder(TrainerCallback):
    """Stands for a report_to integration (TensorBoardCallback & co. write what their on_log receives)."""

    def __init__(self):
        self.logged: list[tuple[int, dict]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logged.append((state.global_step, dict(logs)))


class DrawsRandom(TrainerCallback):
    """A careless callback: draws from the torch RNG at every step."""

    def on_step_end(self, args, state, control, **kwargs):
        torch.rand(3)


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory):
    return make_tiny_qwen2(tmp_path_factory.mktemp("lm"), max_position_embeddings=512)


def _train(lm_dir, out, callbacks=(), monitor: str | None = None) -> tuple[Trainer, dict]:
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(lm_dir, attention_dropout=0.2)
    ids = torch.randint(3, model.config.vocab_size, (8, 24), generator=torch.Generator().manual_seed(0))
    data = [{"input_ids": row, "labels": row} for row in ids]
    args = TrainingArguments(output_dir=str(out), max_steps=4, per_device_train_batch_size=2, learning_rate=1e-2,
                             logging_steps=1, save_strategy="no", report_to="none", use_cpu=True, seed=3,
                             disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=data, processing_class=AutoTokenizer.from_pretrained(lm_dir),
                      callbacks=list(callbacks))
    if monitor == "attach":
        ForgettingMonitor(MONITOR).attach(trainer)
    elif monitor == "listed":
        trainer.add_callback(ForgettingMonitor(MONITOR))
    trainer.train()
    return trainer, {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_an_attached_monitor_logs_to_integrations_and_changes_nothing(lm_dir, tmp_path):
    _, plain = _train(lm_dir, tmp_path / "plain")
    recorder = Recorder()
    trainer, monitored = _train(lm_dir, tmp_path / "monitored", [recorder], monitor="attach")
    assert _same(plain, monitored)
    seen = [step for step, logs in recorder.logged if LOG_PREFIX + "text_delta" in logs]
    assert seen == [0, 2, 4]
    assert not any(LOG_PREFIX + "laws_shift" in logs for _, logs in recorder.logged)  # a text-only model: no LAWS
    records = read_records(tmp_path / "monitored" / "monitor" / "monitor.jsonl")
    assert [r.step for r in records] == [0, 2, 4] and all(r.text_n == 7 and not r.warning for r in records)
    assert records[-1].shift is None and list(records[-1].shift_excluded.values()) == [2]
    assert [e["step"] for e in trainer.state.log_history if LOG_PREFIX + "text_acc" in e] == [0, 2, 4]


def test_a_listed_monitor_fills_the_log_history_only(lm_dir, tmp_path):
    recorder = Recorder()
    trainer, _ = _train(lm_dir, tmp_path, [recorder], monitor="listed")
    assert [e["step"] for e in trainer.state.log_history if LOG_PREFIX + "text_delta" in e] == [0, 2, 4]
    assert not any(LOG_PREFIX + "text_delta" in logs for _, logs in recorder.logged)


def test_control_a_callback_that_draws_random_numbers_does_change_training(lm_dir, tmp_path):
    _, plain = _train(lm_dir, tmp_path / "plain")
    _, careless = _train(lm_dir, tmp_path / "careless", [DrawsRandom()])
    assert not _same(plain, careless)  # so the equality above is a real test of the RNG isolation
