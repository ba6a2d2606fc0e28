"""WINGS trainer: stage 1 (projector + visual learners), stage 2 (+ LLM, textual learners, router), naive baseline.

Entry point: `python -m wings_ref.train CONFIG.yaml [--override key=value]`; library use: `build_run` + `train`.
"""

from .config import TrainConfig, load_config
from .data import ChatEncoding, WingsCollator, WingsSFTDataset, build_sft_dataset
from .errors import TrainConfigError, TrainDataError
from .stages import apply_stage, optimizer_groups, param_group
from .trainer import WingsRun, WingsTrainer, build_run, train

__all__ = ["TrainConfig", "load_config", "ChatEncoding", "WingsCollator", "WingsSFTDataset", "build_sft_dataset",
           "TrainConfigError", "TrainDataError", "apply_stage", "optimizer_groups", "param_group", "WingsRun",
           "WingsTrainer", "build_run", "train"]
