"""ForgettingMonitor: an HF TrainerCallback that measures text forgetting and the LAWS shift while a model trains.

    monitor = ForgettingMonitor({"every_steps": 50, "max_text_drop": 0.05}).attach(trainer)
    trainer.train()

At train begin the starting model answers the text probe and gets its LAWS shift (OUTPUT/monitor/baseline.json, so
a resumed run compares with the true start); every `every_steps` optimizer steps (and at the last step) the current
model does the same, inside `measure.isolated` (eval mode, no grad, RNG states restored): training is unchanged.

Logging: `attach(trainer)` keeps the trainer, and each evaluation goes through `trainer.log(...)`: it lands in
`trainer.state.log_history` (so in checkpoints' trainer_state.json) and reaches every report_to integration
(TensorBoard, W&B, ...) through their `on_log`, as `monitor/text_delta`, `monitor/laws_shift`, ... at the current
step. A callback gets no trainer from the HF callback API, so one passed as `Trainer(callbacks=[monitor])` without
`attach` can only append to `state.log_history` (integrations then do not see it). `trainer.log` clears
`control.should_log` (its on_log does), which would swallow the trainer's own loss log of that step; the flag is put
back. Every record is also a line of OUTPUT/monitor/monitor.jsonl, and monitor.png is drawn at train end.

Distributed: only the world process zero probes (the others do nothing); the probes run on the unwrapped model, so
DDP and DeepSpeed ZeRO-1/2 work, while FSDP and ZeRO-3 (sharded parameters, a forward needs every rank) are refused.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from iitbench.errors import UserError
from iitbench.monitor.config import MonitorConfig
from iitbench.monitor.records import BASELINE_FILE, PLOT_FILE, RECORDS_FILE, MonitorRecord, append_record, keep_until

logger = logging.getLogger("iitbench.monitor")
MONITOR_DIR = "monitor"


class ForgettingMonitor(TrainerCallback):
    """Text forgetting (paired delta vs the starting model) and LAWS shift every N steps of an HF Trainer run."""

    def __init__(self, config: MonitorConfig | dict[str, Any] | None = None, *, output_dir: str | Path | None = None,
                 processor: Any = None):
        self.config = config if isinstance(config, MonitorConfig) else MonitorConfig.from_dict(config)
        self.output_dir = output_dir  # default: the Trainer's args.output_dir
        self.processor = processor  # default: the Trainer's processing_class (WINGS: a WingsProcessor is built)
        self.records: list[MonitorRecord] = []
        self._trainer: Any = None
        self._active = False

    def attach(self, trainer) -> ForgettingMonitor:
        """Add this callback to `trainer` and log through `trainer.log` (see the module docstring)."""
        self._trainer = trainer
        trainer.add_callback(self)
        return self

    @property
    def directory(self) -> Path:
        return self._dir

    # -- events --------------------------------------------------------------------------------------------------

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        self._active = bool(state.is_world_process_zero)
        if not self._active:
            return control
        self._refuse_sharded(args)
        from iitbench.monitor.measure import isolated

        # Everything, probe drawing and logging included, inside the isolation: nothing here may move an RNG.
        with isolated(model):
            self._begin(args, state, control, model, processing_class)
        return control

    def _begin(self, args, state, control, model, processing_class) -> None:
        from iitbench.monitor.adapters import live_adapter
        from iitbench.monitor.measure import Shift, TextScores, score_text
        from iitbench.monitor.probes import build_probes, subset

        cfg = self.config
        self._dir = Path(self.output_dir or args.output_dir) / MONITOR_DIR
        self._model = model
        self._adapter = live_adapter(model, processing_class, self.processor, cfg.batch_size)
        probes = build_probes(cfg, self._dir / "probe")
        stored = self._read_baseline(probes.fingerprint) if state.global_step > 0 else None
        fresh = stored is None  # the reference is the model as it is now: a delta-0 record at this step
        if fresh:
            if state.global_step > 0:
                logger.warning("forgetting monitor: no baseline of the starting model in %s (resumed at step %d); "
                               "comparing with the model at step %d instead", self._dir, state.global_step,
                               state.global_step)
            t0 = time.perf_counter()
            text = score_text(self._adapter, probes.text, probes.root, cfg.batch_size, lenient=True)
            t1 = time.perf_counter()
            shift = self._shift(probes)
            t2 = time.perf_counter()
            stored = {"step": state.global_step, "probe_fingerprint": probes.fingerprint, "config": cfg.to_dict(),
                      "text": asdict(text), "shift": asdict(shift), "seconds": [t2 - t0, t1 - t0, t2 - t1]}
            self._dir.mkdir(parents=True, exist_ok=True)
            (self._dir / BASELINE_FILE).write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n",
                                                   encoding="utf-8")
        self._baseline = TextScores(**{k: tuple(tuple(x) if isinstance(x, list) else x for x in v)
                                       for k, v in stored["text"].items()})
        self._shift_start = Shift(**stored["shift"])
        if self._baseline.dropped:
            logger.warning("forgetting monitor: %d text probe item(s) left out (the model cannot take them), e.g. %s",
                           len(self._baseline.dropped), self._baseline.dropped[0][1])
        self._probes = subset(probes, set(self._baseline.ids))
        path = self._dir / RECORDS_FILE
        if state.global_step == 0 and path.is_file():
            path.unlink()  # a fresh run in a reused output dir: the old curve is not this run's
        self.records = keep_until(path, state.global_step)
        if fresh:
            self._emit(self._record(state, *stored["seconds"], text=self._baseline, shift=self._shift_start,
                                    reference=True), state, control)

    def on_step_end(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not self._active:
            return control
        step, cfg = state.global_step, self.config
        if step % cfg.every_steps and not (cfg.at_end and step >= state.max_steps > 0):
            return control
        from iitbench.monitor.measure import isolated, score_text

        if model is not None and model is not self._model:  # a wrapper swapped the module: probe the live one
            from iitbench.monitor.adapters import live_adapter

            self._model = model
            self._adapter = live_adapter(model, processing_class, self.processor, cfg.batch_size)
        with isolated(self._model):
            t0 = time.perf_counter()
            text = score_text(self._adapter, self._probes.text, self._probes.root, cfg.batch_size)
            t1 = time.perf_counter()
            shift = self._shift(self._probes)
            t2 = time.perf_counter()
            record = self._record(state, t2 - t0, t1 - t0, t2 - t1, text=text, shift=shift)
            if record.warning:
                logger.warning("forgetting monitor: %s", record.warning_message)
            self._emit(record, state, control)
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self._active and self.config.plot and self.records:
            from iitbench.monitor.plot import plot_monitor

            plot_monitor(self.records, self._dir / PLOT_FILE, self.config.max_text_drop)
        return control

    # -- helpers -------------------------------------------------------------------------------------------------

    def _shift(self, probes):
        from iitbench.monitor.measure import Shift, laws_shift

        if not probes.mm:
            return Shift(None, None, None, 0, 0, {})
        if not self._adapter.capabilities.images:
            return Shift(None, None, None, 0, 0, {"text-only model: the dialogue contains an image": len(probes.mm)})
        cfg = self.config
        return laws_shift(self._adapter, probes.mm, probes.root, cfg.batch_size, cfg.n_boot, cfg.seed)

    def _record(self, state, seconds: float, text_seconds: float, laws_seconds: float, *, text, shift,
                reference: bool = False) -> MonitorRecord:
        """The record of one evaluation; `reference`: the baseline itself (delta 0 by definition, never a warning)."""
        from iitbench.metrics.paired import compare_paired

        cfg, base = self.config, self._baseline
        fields: dict[str, Any] = {}
        if base.ids:
            if text.ids != base.ids:  # cannot happen: the probe is fixed at the baseline
                raise RuntimeError("forgetting monitor: text probe items differ from the baseline's")
            cmp = compare_paired(text.correct, base.correct, text.predictions, base.predictions, n_boot=cfg.n_boot,
                                 seed=cfg.seed)
            fields = dict(text_n=cmp.n, text_acc=cmp.acc_a, text_acc_start=cmp.acc_b, text_delta=cmp.delta,
                          text_delta_ci95=cmp.delta_ci95, text_mcnemar_p=cmp.mcnemar_p)
        warning, message = False, None
        drop = None if fields.get("text_delta") is None else -fields["text_delta"]
        if not reference and cfg.max_text_drop is not None and drop is not None and drop >= cfg.max_text_drop:
            lo, hi = fields["text_delta_ci95"]
            warning, message = True, (
                f"step {state.global_step}: text accuracy {fields['text_acc']:.3f} vs {fields['text_acc_start']:.3f} "
                f"at the start ({100 * fields['text_delta']:+.1f} points, 95% CI [{100 * lo:+.1f}, {100 * hi:+.1f}], "
                f"n={fields['text_n']}): the drop reached max_text_drop={cfg.max_text_drop}")
        return MonitorRecord(
            step=state.global_step, epoch=state.epoch, seconds=round(seconds, 4), **fields,
            text_seconds=round(text_seconds, 4), shift=shift.value,
            shift_ci95=(shift.lo, shift.hi) if shift.value is not None else None, shift_start=self._shift_start.value,
            shift_n=shift.n_used, shift_excluded=dict(shift.excluded), laws_seconds=round(laws_seconds, 4),
            warning=warning, warning_message=message)

    def _emit(self, record: MonitorRecord, state, control) -> None:
        self.records.append(record)
        append_record(self._dir / RECORDS_FILE, record)
        metrics = record.log_metrics()
        if self._trainer is None:
            state.log_history.append({**metrics, "step": state.global_step})
            return
        should_log = control.should_log
        self._trainer.log(dict(metrics))
        # trainer.log -> on_log cleared the flag the trainer's own loss logging of this step waits for
        control.should_log = should_log
        self._trainer.control.should_log = should_log

    def _read_baseline(self, fingerprint: str) -> dict | None:
        path = self._dir / BASELINE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("probe_fingerprint") != fingerprint:
            logger.warning("forgetting monitor: %s was made with another probe (config changed); not used", path)
            return None
        return data

    def _refuse_sharded(self, args) -> None:
        trainer = self._trainer
        fsdp = bool(getattr(args, "fsdp", None)) or os.environ.get("ACCELERATE_USE_FSDP", "").lower() == "true" \
            or bool(getattr(trainer, "is_fsdp_enabled", False))
        ds = getattr(args, "hf_deepspeed_config", None)
        if fsdp or (ds is not None and ds.is_zero3()):
            raise UserError("forgetting monitor: FSDP / DeepSpeed ZeRO-3 shard the parameters, so one process cannot "
                            "run the probes; use DDP or ZeRO-1/2, or remove the monitor block")


__all__ = ["ForgettingMonitor", "MONITOR_DIR"]
