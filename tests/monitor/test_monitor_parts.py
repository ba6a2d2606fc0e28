"""The monitor's parts: its config (alone and as the wings-train `monitor:` block), the probes, the isolation
around each evaluation, and the in-memory adapters (same scores as loading the same checkpoint from disk)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import yaml

from iitbench.errors import UserError
from iitbench.monitor.config import MonitorConfig
from iitbench.monitor.measure import isolated, laws_shift, score_text
from iitbench.monitor.probes import build_probes
from wings_ref.train.config import config_from_dict, load_config
from wings_ref.train.errors import TrainConfigError

REQUIRED = dict(model_path="m", data_path="d", output_dir="o")


# -- config --------------------------------------------------------------------------------------------------------

def test_monitor_config_refuses_bad_values_in_one_line():
    assert MonitorConfig.from_dict(None) == MonitorConfig()
    for bad, match in (({"every_step": 5}, "unknown key"), ({"every_steps": 0}, "every_steps"),
                       ({"max_text_drop": 2}, "max_text_drop"), ({"n_text": 0, "n_mm": 0}, "both 0"),
                       ({"split": "val"}, "split"), ({"n_boot": 10}, "n_boot"), ({"plot": "yes"}, "plot")):
        with pytest.raises(UserError, match=match):
            MonitorConfig.from_dict(bad)


MONITOR_PATH = "iitbench.monitor.wings_train.forgetting_monitor"


def test_the_monitor_as_a_wings_train_callback(tmp_path):
    from iitbench.monitor.wings_train import WingsTrainMonitor
    from wings_ref.train.callbacks import build_callbacks

    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump({**REQUIRED, "callbacks": {"monitor": {"path": MONITOR_PATH, "every_steps": 10}}}),
                    encoding="utf-8")
    cfg = load_config(path, ["callbacks.monitor.max_text_drop=0.05", "callbacks.monitor.n_mm=0"])
    [monitor] = build_callbacks(cfg.callbacks)
    assert isinstance(monitor, WingsTrainMonitor)
    assert monitor.config == MonitorConfig(every_steps=10, max_text_drop=0.05, n_mm=0)
    # the monitor observes training without changing it: not part of the run's identity
    assert cfg.config_hash() == config_from_dict(REQUIRED).config_hash()
    assert load_config(path, ["callbacks.monitor=null"]).callbacks == {}
    with pytest.raises(TrainConfigError, match=r"^callbacks\.monitor: monitor\.every_steps=-1"):
        build_callbacks({"monitor": {"path": MONITOR_PATH, "every_steps": -1}})
    with pytest.raises(TrainConfigError, match="unknown key"):
        build_callbacks({"monitor": {"path": MONITOR_PATH, "every_step": 5}})


def test_the_documented_callbacks_entry_builds_the_monitor():
    from pathlib import Path

    from wings_ref.train.callbacks import build_callbacks

    readme = (Path(__file__).resolve().parents[2] / "wings_ref" / "train" / "configs" / "README.md").read_text()
    block = yaml.safe_load(readme.split("```yaml\n")[-1].split("```")[0])
    [monitor] = build_callbacks(config_from_dict({**REQUIRED, **block}).callbacks)
    assert monitor.config == MonitorConfig(every_steps=50, n_text=64, n_mm=16, max_text_drop=0.05, seed=0)


def test_an_old_monitor_block_points_to_callbacks():
    for block in (True, {"every_steps": 10}):
        with pytest.raises(TrainConfigError, match="monitor: .*callbacks:.*configs/README.md"):
            config_from_dict({**REQUIRED, "monitor": block})


# -- probes --------------------------------------------------------------------------------------------------------

def test_probes_are_fixed_balanced_and_have_text_on_both_sides_of_the_image(tmp_path):
    cfg = MonitorConfig(n_text=10, n_mm=3)
    a, b = build_probes(cfg, tmp_path / "a"), build_probes(cfg, None)
    assert a.fingerprint == b.fingerprint and [i.id for i in a.text] == [i.id for i in b.text]
    assert len(a.text) == 10 and len({i.turns[0].source for i in a.text}) == 7  # every text family
    assert all(i.config == "TV" and i.turns[1].images for i in a.mm)
    assert all((tmp_path / "a" / i.turns[1].images[0].path).is_file() for i in a.mm)
    assert build_probes(MonitorConfig(n_text=10, n_mm=3, seed=1), None).fingerprint != a.fingerprint


# -- isolation -----------------------------------------------------------------------------------------------------

def _draw():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def _seed():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)


def test_isolated_restores_modes_rng_and_leaves_no_gradients():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5), torch.nn.Linear(4, 1)).train()
    model[2].eval()  # a sub-module kept in eval mode while the rest trains stays so
    _seed()
    expected = _draw()
    _seed()
    with isolated(model):
        assert not model.training and not torch.is_grad_enabled()
        model(torch.rand(3, 4)).sum()
        _draw()  # the probes may draw random numbers; the run must not notice
    assert _draw() == expected
    assert model.training and model[0].training and model[1].training and not model[2].training
    assert all(p.grad is None for p in model.parameters())


# -- in-memory adapters --------------------------------------------------------------------------------------------

def _text_logliks(adapter, items, root):
    from iitbench.models.protocol import ChoiceRequest
    from iitbench.monitor.measure import _task
    from iitbench.runner.render import PromptFormat

    fmt = PromptFormat.for_candidates(adapter.capabilities.candidates)
    tasks = [_task(i, fmt, root) for i in items]
    return [r.logliks for r in adapter.score_choices([ChoiceRequest(t.key, t.messages, t.choices) for t in tasks])]


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    return build_probes(MonitorConfig(n_text=7, n_mm=3, n_boot=100), tmp_path_factory.mktemp("probe"))


def test_live_wings_adapter_scores_like_the_checkpoint_adapter(wings_dir, probes):
    from iitbench.models import load_model
    from iitbench.models.wings import WingsAdapter
    from iitbench.monitor.adapters import live_adapter
    from wings_ref import WingsForConditionalGeneration
    from wings_ref.processing_wings import WingsProcessor

    disk = load_model(f"wings:{wings_dir}", {})
    model = WingsForConditionalGeneration.from_pretrained(wings_dir).eval()
    processor = WingsProcessor.from_pretrained(wings_dir)
    live = live_adapter(model, processor.tokenizer)  # a processor is built from the tokenizer and the config
    assert isinstance(live, WingsAdapter) and live.window == disk.window
    assert live.capabilities == disk.capabilities and live.prefix_sharing == disk.prefix_sharing
    items = probes.text + probes.mm
    assert _text_logliks(live, items, probes.root) == _text_logliks(disk, items, probes.root)
    a = laws_shift(live, probes.mm, probes.root, 2, 100, 0)
    b = laws_shift(disk, probes.mm, probes.root, 2, 100, 0)
    assert a == b and a.n_used == 3


def test_live_causal_adapter_scores_like_hf_causal_and_skips_images(tmp_path, probes):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from iitbench.models import load_model
    from iitbench.models.hf_causal import HFCausalAdapter
    from iitbench.monitor.adapters import live_adapter
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    path = make_tiny_qwen2(tmp_path / "lm", max_position_embeddings=512)
    disk = load_model(f"hf-causal:{path}", {})
    live = live_adapter(AutoModelForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path))
    assert isinstance(live, HFCausalAdapter) and live.template == disk.template
    assert _text_logliks(live, probes.text, probes.root) == _text_logliks(disk, probes.text, probes.root)
    scores = score_text(live, probes.text + probes.mm, probes.root, 4, lenient=True)
    assert len(scores.ids) == 7 and len(scores.dropped) == 3  # the image dialogues are not applicable


def test_live_vlm_adapter_scores_like_hf(tmp_path, probes):
    from transformers import AutoModelForImageTextToText

    from iitbench.models import load_model
    from iitbench.models.hf_processor import load_processor
    from iitbench.models.hf_vlm import HFVLMAdapter
    from iitbench.monitor.adapters import live_adapter
    from tests.fixtures.tiny_vlms import make_tiny_llava

    path = str(make_tiny_llava(tmp_path / "llava"))
    disk = load_model(f"hf:{path}", {})
    live = live_adapter(AutoModelForImageTextToText.from_pretrained(path).eval(), load_processor(path, None, False))
    assert isinstance(live, HFVLMAdapter) and live.template == disk.template
    items = probes.text[:3] + probes.mm
    assert _text_logliks(live, items, probes.root) == _text_logliks(disk, items, probes.root)
    assert laws_shift(live, probes.mm, probes.root, 1, 100, 0) == laws_shift(disk, probes.mm, probes.root, 1, 100, 0)


def test_wings_ref_imports_iitbench_only_when_it_builds_a_callback_that_names_it():
    import subprocess
    import sys

    code = ("import sys\nfrom wings_ref.train.config import config_from_dict\nimport wings_ref.train\n"
            "from wings_ref.train.callbacks import build_callbacks\n"
            f"cfg = config_from_dict(dict(model_path='m', data_path='d', output_dir='o', callbacks={{'monitor': "
            f"{{'path': '{MONITOR_PATH}'}}}}))\n"
            "assert not [m for m in sys.modules if m.startswith('iitbench')]\n"
            "build_callbacks(cfg.callbacks)\n"
            "assert 'iitbench.monitor.wings_train' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
