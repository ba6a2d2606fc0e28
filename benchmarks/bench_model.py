"""A tiny-but-not-trivial random causal LM for the scoring benchmarks: Qwen2, hidden 256, 4 layers, vocab ~2k, with a
byte-level BPE tokenizer (ChatML template) trained on IIT-synth text, saved with `save_pretrained` to a directory.

    from bench_model import make_bench_model; path = make_bench_model(tmpdir)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _corpus() -> list[str]:
    from iitbench.sources.synth import load_synth

    lines = []
    for q in load_synth("train", n_per_family=60, seed=1, kinds=("T",)):
        text = "".join(getattr(p, "text", "") for p in q.parts)
        lines.append(text + "\n" + "\n".join(f"{'ABCD'[i]}. {c}" for i, c in enumerate(q.choices)))
    return lines


def make_bench_model(dir: Path, seed: int = 0, vocab_size: int = 2048) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    from tests.fixtures.tiny_lm import CHATML_TEMPLATE, EOT, IM_END, IM_START

    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOT, IM_START, IM_END],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=IM_END, pad_token=EOT,
                                        chat_template=CHATML_TEMPLATE)
    config = Qwen2Config(vocab_size=len(tokenizer), hidden_size=256, intermediate_size=704, num_hidden_layers=4,
                         num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=2048,
                         initializer_range=0.05, tie_word_embeddings=False, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=None, dtype="float32")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config).eval()
    model.save_pretrained(dir, safe_serialization=True)
    tokenizer.save_pretrained(dir)
    return dir
