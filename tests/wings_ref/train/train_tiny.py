"""Builders for the trainer tests: a byte-level ChatML tokenizer, a micro WINGS checkpoint dir, LLaVA data files.

Built once per process (lru_cache) in a temp dir removed at exit.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from functools import cache
from pathlib import Path

import torch
from PIL import Image
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from tests.wings_ref.wings_tiny import randomise_learners, tiny_config
from wings_ref import WingsForConditionalGeneration

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|image_pad|>"]
PAD_ID, IM_START, IM_END, IMAGE_ID = 256, 257, 258, 259
VOCAB = 264


def byte_tokenizer() -> PreTrainedTokenizerFast:
    """One token per byte (no merges) + ChatML specials: ids 0..255 bytes, 256.. specials."""
    vocab = {char: i for i, char in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(SPECIALS)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|endoftext|>", eos_token="<|im_end|>")
    assert fast.convert_tokens_to_ids(SPECIALS) == [PAD_ID, IM_START, IM_END, IMAGE_ID]
    return fast


def micro_config(**overrides):
    text = tiny_config().text_config.to_dict()
    text.update(vocab_size=VOCAB, pad_token_id=PAD_ID, max_position_embeddings=512)
    kwargs = dict(text_config=text, image_token_id=IMAGE_ID, router_width=512, system_prompt_len=44)
    kwargs.update(overrides)
    return tiny_config(**kwargs)


@cache
def workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="wings_train_test_"))
    atexit.register(shutil.rmtree, path, True)
    return path


@cache
def model_dir(use_learners: bool = True) -> Path:
    """A saved micro WINGS checkpoint (+ tokenizer); learners randomised so every learner weight gets gradients."""
    torch.manual_seed(0)
    model = WingsForConditionalGeneration(micro_config(use_learners=use_learners))
    if use_learners:
        randomise_learners(model)
        with torch.no_grad():  # keep the learners a small perturbation of the backbone
            for name, p in model.named_parameters():
                if "pool" in name:
                    p.mul_(0.1)
    out = workdir() / f"model_learners_{use_learners}"
    model.save_pretrained(out)
    byte_tokenizer().save_pretrained(out)
    return out


def image_root() -> Path:
    root = workdir() / "images"
    if not root.is_dir():
        root.mkdir()
        for i in range(3):
            Image.new("RGB", (40 + 8 * i, 32), (60 * i, 100, 200 - 50 * i)).save(root / f"img{i}.png")
        (root / "broken.png").write_bytes(b"not a png at all")
    return root


def sample_records(n: int = 8) -> list[dict]:
    """Alternating image and text-only records, one of them two-turn."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            conv = [{"from": "human", "value": f"What colour is shape {i}?\n<image>"},
                    {"from": "gpt", "value": f"Blue {i}."}]
            out.append({"id": f"r{i}", "image": f"img{i % 3}.png", "conversations": conv})
        else:
            conv = [{"from": "human", "value": f"Add {i} and {i}."}, {"from": "gpt", "value": str(2 * i)}]
            if i == 3:
                conv += [{"from": "human", "value": "Again?"}, {"from": "gpt", "value": "Yes."}]
            out.append({"id": f"r{i}", "conversations": conv})
    return out


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def base_config(tmp: Path, **overrides) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    data = write_jsonl(tmp / "data.jsonl", sample_records())
    cfg = dict(model_path=str(model_dir(overrides.pop("use_learners", True))), data_path=str(data),
               image_root=str(image_root()), output_dir=str(tmp / "out"), stage=1, max_steps=2,
               per_device_train_batch_size=4, max_length=256, save_steps=1000, seed=7, use_cpu=True,
               lr_projector=1e-3, lr_learners=1e-3, lr_llm=1e-3, lr_router=1e-3, warmup_ratio=0.0)
    cfg.update(overrides)
    return cfg
