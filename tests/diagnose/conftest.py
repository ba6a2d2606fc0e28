"""Shared diagnose runs on the shipped zoo (small limits, one torch thread) and helper models for the refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

LIMIT, IIT_LIMIT = 10, 6


def run_pair(mllm, base, out: Path, **kw):
    from iitbench import api

    kw = {"limit": LIMIT, "iit_limit": IIT_LIMIT, "progress": False, "n_boot": 200, **kw}
    return api.diagnose(mllm, base, output=out, **kw)


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def wings_runs(tmp_path_factory) -> dict[int, Path]:
    """wings-tiny vs base-tiny at batch sizes 1 and 4 (work kept, for the direct checks)."""
    root = tmp_path_factory.mktemp("diag_wings")
    out = {}
    for bs in (4, 1):
        out[bs] = run_pair("wings-tiny", "base-tiny", root / f"bs{bs}", batch_size=bs, keep_work=True).out_dir
    return out


def read(path: Path, name: str) -> dict:
    return json.loads((path / name).read_text(encoding="utf-8"))


def copy_run(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def derived_base(dir: Path, *, layers: int = 4, hidden: int = 128, permute_vocab: bool = False, seed: int = 0) -> Path:
    """A random-init Qwen2 like base-tiny (its tokenizer files and chat template) with other layer count / width;
    `permute_vocab` swaps the ids of two ordinary tokens, so the vocabulary differs but has the same size."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from iitbench.models.zoo import weights_root

    src = weights_root() / "base-tiny"
    dir.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        shutil.copy(src / name, dir / name)
    if permute_vocab:
        tok = json.loads((dir / "tokenizer.json").read_text(encoding="utf-8"))
        vocab = tok["model"]["vocab"]
        special = {t["content"] for t in tok.get("added_tokens", [])}
        a, b = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]) if t not in special][100:102]
        vocab[a], vocab[b] = vocab[b], vocab[a]
        (dir / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False), encoding="utf-8")
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    config.update(num_hidden_layers=layers, hidden_size=hidden, layer_types=["full_attention"] * layers)
    config.pop("architectures", None)
    config.pop("transformers_version", None)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(Qwen2Config(**config)).eval()
    model.save_pretrained(dir, safe_serialization=True)
    return dir
