"""TrainConfig: every knob of a WINGS training run, loaded from YAML/JSON with `key=value` overrides.

Learning rates left as null take the stage's values in the released training scripts (STAGE_LRS below; WINGS, Zhang et
al., NeurIPS 2024, arXiv:2406.03496, code github.com/AIDC-AI/Wings).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import unwritable
from .callbacks import check_callbacks
from .errors import TrainConfigError

STAGES = (1, 2, "naive")
# Keys added after configs (and finished zoo stages keyed by config_hash) existed: left out of to_dict at these
# defaults, so the hash of every earlier config is unchanged.
LATER_DEFAULTS = {"answer_logits_only": False, "system_prompt": None}
# Keys that once existed, with where they went.
MOVED = {"monitor": "the forgetting monitor is now a trainer callback; write it under `callbacks:` with its import "
                    "path (wings_ref/train/configs/README.md)"}
# Parameter groups a stage may train (see stages.py); "learners" is shorthand for both learners.
GROUPS = ("projector", "visual_learner", "textual_learner", "router", "llm")
# Parts of the LLM a stage may train instead of all of it (at the LLM's learning rate): its self-attention
# projections or its MLPs (the sub-modules named self_attn / mlp in every decoder layer).
LLM_PARTS = ("llm_attention", "llm_mlp")
STAGE_TRAIN = {
    1: ("projector", "visual_learner"),
    2: ("llm", "projector", "visual_learner", "textual_learner", "router"),
    "naive": ("projector", "llm"),
}
# (lr_projector, lr_learners, lr_llm, lr_router) of the released scripts; naive = the LLaVA-style baseline.
STAGE_LRS = {
    1: (2e-5, 2e-5, 2e-5, 2e-5),
    2: (1e-5, 2e-6, 2e-6, 2e-6),
    "naive": (1e-5, 2e-5, 2e-5, 2e-5),
}


@dataclass(frozen=True)
class TrainConfig:
    model_path: str  # a WINGS checkpoint dir (save_pretrained layout)
    data_path: str  # LLaVA conversation file, .json (list) or .jsonl (one record a line)
    output_dir: str
    stage: int | str = 1  # 1 | 2 | "naive"
    tokenizer_path: str | None = None  # default: model_path
    image_root: str | None = None  # image paths in the data are relative to this directory
    train: tuple[str, ...] | None = None  # override the stage's trained groups, e.g. [projector] for naive warm-up
    lr_projector: float | None = None
    lr_learners: float | None = None
    lr_llm: float | None = None
    lr_router: float | None = None
    weight_decay: float = 0.0
    warmup_ratio: float = 0.03
    lr_scheduler_type: str = "cosine"
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_train_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 1.0
    max_length: int = 2048
    seed: int = 42
    skip_bad_records: bool = False
    init_new_tokens: tuple[int | str, ...] = ()  # ids/tokens unseen in pre-training -> mean embedding at start
    save_steps: int = 500
    save_total_limit: int | None = None
    logging_steps: int = 1
    resume_from_checkpoint: str | None = None  # a checkpoint dir, or "auto" = latest in output_dir
    bf16: bool = False  # bf16 autocast (on CPU too: torch.autocast("cpu"); the weights stay fp32)
    # The LM head only at positions whose next token is an answer token (the only logits the loss reads): the same
    # loss with fewer FLOPs; the head is ~20% of a small LLM's compute (SmolLM2-135M's 49,152 x 576 tied embedding).
    answer_logits_only: bool = False
    gradient_checkpointing: bool = False
    dataloader_num_workers: int = 0
    use_cpu: bool | None = None  # None: CPU when no CUDA device is visible
    deepspeed: str | None = None  # a DeepSpeed JSON (configs/deepspeed_zero2.json); needs the deepspeed package
    answer_format: str | None = None  # "letter" | "text": what the data's answers are; saved in the model config
    # The system turn of every training conversation; None: WINGS' ("You are a helpful assistant."). A model whose
    # own chat template has another default (SmolLM2) trains with that one, so its text prompts stay its own.
    system_prompt: str | None = None
    extra: dict = field(default_factory=dict)  # free-form notes copied into train_log.json
    # Trainer callbacks by import path, {NAME: {path: package.module.factory, **its keyword arguments}} (callbacks.py;
    # the forgetting monitor is one, configs/README.md). They watch training, so they are not in config_hash.
    callbacks: dict = field(default_factory=dict)

    def __post_init__(self):
        _check_types(self)
        for name in ("per_device_train_batch_size", "gradient_accumulation_steps", "save_steps", "logging_steps"):
            if getattr(self, name) < 1:
                raise TrainConfigError(f"{name}={getattr(self, name)}; use a positive integer")
        if self.num_train_epochs <= 0 or not (self.max_steps == -1 or self.max_steps >= 1):
            raise TrainConfigError(f"num_train_epochs={self.num_train_epochs}, max_steps={self.max_steps}; use "
                                   "epochs > 0 and max_steps -1 (off) or >= 1")
        if self.answer_format not in (None, "letter", "text"):
            raise TrainConfigError(f"answer_format={self.answer_format!r}; use letter or text (or leave it out)")
        if self.stage not in STAGES:
            raise TrainConfigError(f"stage={self.stage!r}; use one of 1, 2, naive")
        if self.train is not None:
            object.__setattr__(self, "train", tuple(self.train))
            unknown = sorted(set(self.train) - set(GROUPS) - set(LLM_PARTS) - {"learners"})
            if unknown or not self.train:
                raise TrainConfigError(f"train={list(self.train)}: unknown group(s) {unknown}; use some of "
                                       f"{list(GROUPS) + list(LLM_PARTS) + ['learners']} (the vision tower always "
                                       "stays frozen)")
            if self.stage == "naive" and set(self.trained_groups()) - {"projector", "llm", *LLM_PARTS}:
                raise TrainConfigError("stage naive has no learners/router; train only [projector] and the LLM "
                                       "(llm, llm_attention, llm_mlp)")
        object.__setattr__(self, "init_new_tokens", tuple(self.init_new_tokens))
        if self.system_prompt is not None and not self.system_prompt.strip():
            raise TrainConfigError("system_prompt is empty; give the text of the system turn or leave it out")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise TrainConfigError(f"warmup_ratio={self.warmup_ratio}; use a fraction in [0, 1)")
        if self.max_length < 8:
            raise TrainConfigError(f"max_length={self.max_length}; use at least 8 tokens")
        for name in ("lr_projector", "lr_learners", "lr_llm", "lr_router"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise TrainConfigError(f"{name}={value}; learning rates must be >= 0")
        object.__setattr__(self, "callbacks", check_callbacks(self.callbacks))
        if self.resume_from_checkpoint not in (None, "auto") and not Path(self.resume_from_checkpoint).is_dir():
            raise TrainConfigError(f"resume_from_checkpoint={self.resume_from_checkpoint!r} is not a directory; "
                                   "give a checkpoint-N dir or 'auto'")

    def trained_groups(self) -> tuple[str, ...]:
        """Parameter groups that get gradients, in GROUPS order."""
        chosen = set(STAGE_TRAIN[self.stage] if self.train is None else self.train)
        if "learners" in chosen:
            chosen |= {"visual_learner", "textual_learner"}
        return tuple(g for g in GROUPS + LLM_PARTS if g in chosen)

    def learning_rates(self) -> dict[str, float]:
        """Learning rate per parameter group (stage defaults where the config leaves it null)."""
        projector, learners, llm, router = STAGE_LRS[self.stage]
        pick = lambda value, default: default if value is None else float(value)  # noqa: E731
        learners = pick(self.lr_learners, learners)
        return {
            "projector": pick(self.lr_projector, projector),
            "visual_learner": learners,
            "textual_learner": learners,
            "router": pick(self.lr_router, router),
            "llm": pick(self.lr_llm, llm),
        }

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["train"] = None if self.train is None else list(self.train)
        out["init_new_tokens"] = list(self.init_new_tokens)
        if not self.callbacks:  # absent, as in configs written before callbacks existed
            del out["callbacks"]
        for key, default in LATER_DEFAULTS.items():  # absent at their default: older configs keep their hash
            if out[key] == default:
                del out[key]
        return out

    def config_hash(self) -> str:
        """sha256 of the canonical JSON of the config (paths included): identifies the run in train_log.json.

        Callbacks are left out: they watch training (a monitor, a logger), so runs with and without them train the
        same weights (and share finished stages, e.g. in the zoo). A callback that changes training (stops it early)
        is outside that promise."""
        data = self.to_dict()
        data.pop("callbacks", None)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


_SIMPLE = (int, float, bool, str, type(None))


def _check_types(cfg: TrainConfig) -> None:
    """Every field against its annotation (int, float, bool, str, X | None; a float field takes an int), so a typo
    such as `-o num_train_epochs=abc` is a one-line TrainConfigError naming the key, not a traceback later."""
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        value, hint = getattr(cfg, f.name), hints[f.name]
        kinds = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
        if not all(k in _SIMPLE for k in kinds):
            continue
        ok = any((k is float and isinstance(value, (int, float)) and not isinstance(value, bool))
                 or (k is int and isinstance(value, int) and not isinstance(value, bool))
                 or (k not in (int, float) and isinstance(value, k)) for k in kinds)
        if not ok:
            wanted = " or ".join("none" if k is type(None) else k.__name__ for k in kinds)
            raise TrainConfigError(f"{f.name}={value!r}: expected {wanted}")


def check_paths(cfg: TrainConfig) -> None:
    """The files a run needs, before any weight is loaded: the model and tokenizer directories, the data file, a
    writable output directory."""
    model = Path(cfg.model_path)
    if not (model / "config.json").is_file():
        raise TrainConfigError(f"model_path={cfg.model_path!r}: no config.json there; give a WINGS checkpoint "
                               "directory (save_pretrained layout)")
    tokenizer = Path(cfg.tokenizer_path or cfg.model_path)
    if not any((tokenizer / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json")):
        raise TrainConfigError(f"{'tokenizer_path' if cfg.tokenizer_path else 'model_path'}={str(tokenizer)!r}: no "
                               "tokenizer files (tokenizer.json / tokenizer_config.json); save the tokenizer there "
                               "or set tokenizer_path")
    if not Path(cfg.data_path).is_file():
        raise TrainConfigError(f"data_path={cfg.data_path!r}: not a file; give a LLaVA-style .json or .jsonl file")
    if cfg.image_root is not None and not Path(cfg.image_root).is_dir():
        raise TrainConfigError(f"image_root={cfg.image_root!r}: not a directory")
    why = unwritable(cfg.output_dir)
    if why:
        raise TrainConfigError(f"output_dir={cfg.output_dir!r}: {why}; choose another output_dir")


def parse_override(text: str) -> tuple[str, Any]:
    """`key=value`; the value is read as YAML, so `lr_llm=1e-5`, `train=[projector]`, `stage=naive` all work.
    A dotted key sets one key of a mapping: `callbacks.monitor.every_steps=10` (see `load_config`)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise TrainConfigError(f"--override {text!r}: use key=value")
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError as exc:
        raise TrainConfigError(f"--override {text!r}: value is not valid YAML ({exc})") from None
    return key.strip(), parsed


def config_from_dict(data: dict[str, Any], source: str = "<dict>") -> TrainConfig:
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(data) - known)
    for key in unknown:
        if key in MOVED:
            raise TrainConfigError(f"{source}: {key}: {MOVED[key]}")
    if unknown:
        raise TrainConfigError(f"{source}: unknown key(s) {unknown}; known keys are {sorted(known)}")
    missing = [k for k in ("model_path", "data_path", "output_dir") if data.get(k) in (None, "")]
    if missing:
        raise TrainConfigError(f"{source}: missing required key(s) {missing}")
    data = dict(data)
    if isinstance(data.get("stage"), str) and data["stage"].isdigit():
        data["stage"] = int(data["stage"])
    return TrainConfig(**data)


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> TrainConfig:
    """Read a YAML or JSON config (YAML is a superset), then apply `key=value` overrides in order."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise TrainConfigError(f"{path}: cannot read the config ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise TrainConfigError(f"{path}: not valid YAML/JSON ({exc})") from None
    if not isinstance(data, dict):
        raise TrainConfigError(f"{path}: the config must be a mapping of key: value")
    for item in overrides:
        key, value = parse_override(item)
        _set_dotted(data, key.split("."), value, item)
    return config_from_dict(data, str(path))


def _set_dotted(data: dict, keys: list[str], value: Any, item: str) -> None:
    """callbacks.monitor.every_steps=10: one key of a nested mapping (a mapping set to null/true/false starts
    empty)."""
    if any(not k for k in keys):
        raise TrainConfigError(f"--override {item!r}: empty key; use key=value or a.b=value")
    for depth, key in enumerate(keys[:-1]):
        block = data.get(key)
        if block is not None and not isinstance(block, (dict, bool)):
            raise TrainConfigError(f"--override {item!r}: {'.'.join(keys[:depth + 1])} is not a mapping")
        data[key] = dict(block) if isinstance(block, dict) else {}
        data = data[key]
    data[keys[-1]] = value


__all__ = ["TrainConfig", "check_paths", "GROUPS", "LLM_PARTS", "STAGES", "STAGE_TRAIN", "STAGE_LRS", "load_config", "config_from_dict",
           "parse_override"]
