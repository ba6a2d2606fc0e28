"""The HF Trainer for WINGS: split-LR AdamW groups, answer-token loss, cosine schedule, resumable checkpoints.

Distribution is the Trainer's (accelerate): one process, `torchrun` DDP (gloo on CPU), or DeepSpeed/FSDP through
`accelerate launch --config_file` (configs/). There is no hand-written training loop here.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import platform
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from transformers import AutoTokenizer, Trainer, TrainerCallback, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from wings_ref import WingsForConditionalGeneration

from .answer_head import AnswerHead, loss_at
from .callbacks import attach_callbacks, build_callbacks
from .config import TrainConfig, check_paths
from .data import IGNORE_INDEX, ChatEncoding, DataReport, WingsCollator, build_sft_dataset, check_end_of_turn
from .errors import TrainConfigError
from .stages import apply_stage, init_new_tokens, optimizer_groups, resolve_token_ids

logger = logging.getLogger(__name__)


def answer_token_loss(outputs, labels: torch.Tensor, num_items_in_batch=None) -> torch.Tensor:
    """Next-token cross-entropy summed over answer tokens / answer tokens in the whole (global, accumulated) batch.

    Dividing by the global count (the Trainer gathers it across processes and accumulation steps) makes DDP and
    gradient accumulation give the same gradient as one big batch, whatever the per-device token counts.
    """
    logits = outputs.logits[:, :-1].float()
    target = labels[:, 1:].to(logits.device)
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=IGNORE_INDEX,
                            reduction="sum")
    count = (target != IGNORE_INDEX).sum() if num_items_in_batch is None else num_items_in_batch
    return total / count


class WingsTrainer(Trainer):
    """Trainer whose optimizer has one group per (parameter group, decay) with that group's learning rate; with
    `answer_logits_only`, the LM head runs on answer positions only (answer_head.py)."""

    def __init__(self, *args, learning_rates: dict[str, float], answer_logits_only: bool = False, **kwargs):
        self.learning_rates = learning_rates
        self.answer_head: AnswerHead | None = None
        super().__init__(*args, compute_loss_func=self._answer_loss, **kwargs)
        # the model's forward takes **kwargs; do not let the Trainer push num_items_in_batch into the decoder layers
        self.model_accepts_loss_kwargs = False
        if answer_logits_only:
            self.answer_head = AnswerHead(self.model.get_output_embeddings())

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.answer_head is None or "labels" not in inputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        with self.answer_head.selecting(inputs["labels"]):
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    def _answer_loss(self, outputs, labels, num_items_in_batch=None):
        keep = None if self.answer_head is None else self.answer_head.keep
        if keep is None:
            return answer_token_loss(outputs, labels, num_items_in_batch)
        return loss_at(outputs.logits, labels, keep, num_items_in_batch)

    def create_optimizer(self, model=None) -> torch.optim.Optimizer:
        if self.optimizer is None:
            groups = optimizer_groups(self.model if model is None else model, self.learning_rates,
                                      self.args.weight_decay)
            self.optimizer = torch.optim.AdamW(groups, lr=self.args.learning_rate,
                                               betas=(self.args.adam_beta1, self.args.adam_beta2),
                                               eps=self.args.adam_epsilon)
        return self.optimizer


@dataclass
class WingsRun:
    """Everything a run needs, built but not started (tests inspect it; `train` runs it)."""

    config: TrainConfig
    trainer: WingsTrainer
    data: DataReport
    trainable: dict[str, int]
    init_token_ids: list[int]
    callbacks: list  # the config's callbacks (TrainConfig.callbacks), as built and attached


def training_arguments(cfg: TrainConfig, lrs: dict[str, float]) -> TrainingArguments:
    use_cpu = (not torch.cuda.is_available()) if cfg.use_cpu is None else cfg.use_cpu
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1  # launched by torchrun / accelerate launch
    if cfg.deepspeed is not None and importlib.util.find_spec("deepspeed") is None:
        raise TrainConfigError(f"deepspeed={cfg.deepspeed!r} but the deepspeed package is not installed; "
                               "install it (GPU machines) or remove the key")
    return TrainingArguments(
        output_dir=cfg.output_dir,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps,
        learning_rate=max(lrs.values()),  # unused by our groups; the Trainer wants a number
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        lr_scheduler_type=cfg.lr_scheduler_type,
        warmup_steps=cfg.warmup_ratio,  # a float < 1 is a ratio of the total steps in transformers >= 5
        logging_steps=cfg.logging_steps,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        seed=cfg.seed,
        data_seed=cfg.seed,
        bf16=cfg.bf16,
        activation_checkpointing=cfg.gradient_checkpointing,
        dataloader_num_workers=cfg.dataloader_num_workers,
        remove_unused_columns=False,  # the collator's keys are exactly the model's inputs
        report_to="none",
        use_cpu=use_cpu,
        ddp_backend="gloo" if use_cpu and distributed else None,
        deepspeed=cfg.deepspeed,
        disable_tqdm=True,
    )


def build_run(cfg: TrainConfig, callbacks: list[TrainerCallback] | None = None) -> WingsRun:
    """Load model + tokenizer, freeze per stage, tokenise the data, and build the Trainer (with `callbacks` and the
    config's own, which are built first: a bad callback key fails before any weight is read)."""
    check_paths(cfg)
    configured = build_callbacks(cfg.callbacks)
    transformers.set_seed(cfg.seed)
    overrides = {"use_learners": False} if cfg.stage == "naive" else {}
    model = WingsForConditionalGeneration.from_pretrained(cfg.model_path, **overrides)
    if cfg.stage != "naive" and not model.config.use_learners:
        raise TrainConfigError(f"stage {cfg.stage} trains WINGS learners but {cfg.model_path} has use_learners=False; "
                               "use stage: naive for the baseline")
    tokenizer = AutoTokenizer.from_pretrained(cfg.tokenizer_path or cfg.model_path)
    encode = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    check_end_of_turn(encode)
    system = {} if cfg.system_prompt is None else {"system": cfg.system_prompt}
    fmt = ChatEncoding(encode, model.config.image_token_id, model.config.image_seq_length, **system)
    if model.config.use_learners and fmt.system_prompt_len() != model.config.system_prompt_len:
        logger.warning("config.system_prompt_len=%d but this tokenizer's system prompt has %d tokens",
                       model.config.system_prompt_len, fmt.system_prompt_len())
    dataset, report = build_sft_dataset(cfg.data_path, cfg.image_root, fmt, model.config.vision_config.image_size,
                                    cfg.max_length, cfg.skip_bad_records)
    token_ids = resolve_token_ids(cfg.init_new_tokens, tokenizer.convert_tokens_to_ids)
    init_new_tokens(model, token_ids)
    trainable = apply_stage(model, cfg.trained_groups())
    lrs = cfg.learning_rates()
    pad = tokenizer.pad_token_id
    if pad is None:
        pad = model.config.text_config.pad_token_id or tokenizer.eos_token_id
    trainer = WingsTrainer(model=model, args=training_arguments(cfg, lrs), train_dataset=dataset,
                           data_collator=WingsCollator(int(pad)), processing_class=tokenizer,
                           callbacks=callbacks, learning_rates=lrs, answer_logits_only=cfg.answer_logits_only)
    attach_callbacks(configured, trainer)
    return WingsRun(cfg, trainer, report, trainable, token_ids, configured)


def versions() -> dict[str, str]:
    import accelerate

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "accelerate": accelerate.__version__}


def resume_path(cfg: TrainConfig) -> str | None:
    if cfg.resume_from_checkpoint != "auto":
        return cfg.resume_from_checkpoint
    found = get_last_checkpoint(cfg.output_dir) if Path(cfg.output_dir).is_dir() else None
    logger.info("resume_from_checkpoint=auto: %s", found or "no checkpoint yet, starting fresh")
    return found


def train(run: WingsRun) -> dict:
    """Train (resuming if configured), save the final model (safetensors) and write output_dir/train_log.json."""
    cfg, trainer = run.config, run.trainer
    resumed = resume_path(cfg)
    result = trainer.train(resume_from_checkpoint=resumed)
    if cfg.answer_format is not None:  # evaluation harnesses read it (iitbench scores this format by default)
        trainer.model.config.answer_format = cfg.answer_format
    trainer.save_model(cfg.output_dir)
    log = {
        "config": cfg.to_dict(),
        "config_hash": cfg.config_hash(),
        "stage": cfg.stage,
        "trained_groups": list(cfg.trained_groups()),
        "trainable_parameters": run.trainable,
        "learning_rates": cfg.learning_rates(),
        "init_new_tokens": run.init_token_ids,
        "data": run.data.to_dict(),
        "resumed_from": resumed,
        "world_size": trainer.args.world_size,
        "global_step": trainer.state.global_step,
        "train_loss": result.training_loss,
        "losses": [{"step": e["step"], "loss": e["loss"], "learning_rate": e.get("learning_rate")}
                   for e in trainer.state.log_history if "loss" in e],
        "versions": versions(),
    }
    if trainer.is_world_process_zero():
        path = Path(cfg.output_dir) / "train_log.json"
        path.write_text(json.dumps(log, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return log


__all__ = ["WingsTrainer", "WingsRun", "answer_token_loss", "training_arguments", "build_run", "train",
           "versions"]
