"""The zoo's byte-level BPE tokenizer, trained on the zoo corpus, with a ChatML chat template.

The normalizer and pre-tokenizer are Qwen2's (NFC; its split regex, which isolates every digit; byte-level). That is
deliberate: when a Qwen2 `config.json` sits next to the tokenizer, transformers 5's `AutoTokenizer.from_pretrained`
picks `Qwen2Tokenizer` from the model type whatever `tokenizer_config.json` says, and that class rebuilds its own
pre-tokenizer. Training with the same pipeline (and saving `tokenizer_class: Qwen2Tokenizer`) makes every loading
path give identical ids; `tests/zoo` checks this.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from iitbench.zoo.corpus import SYSTEM_PROMPT

END_OF_TEXT, IM_START, IM_END, IMAGE = "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"
SPECIAL_TOKENS = (END_OF_TEXT, IM_START, IM_END, IMAGE)
TOKENIZER_CLASS = "Qwen2Tokenizer"
# Qwen2's pre-tokenization regex (transformers' tokenization_qwen2.PRETOKENIZE_REGEX): single digits, newlines apart.
QWEN2_SPLIT = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|"""
               r"""\s+(?!\S)|\s+""")

# Newlines are Jinja string escapes inside literals: a newline right after a block tag would be dropped.
CHAT_TEMPLATE = (
    "{% if messages and messages[0]['role'] == 'system' %}"
    "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{% else %}"
    "{{ '<|im_start|>system\\n" + SYSTEM_PROMPT + "<|im_end|>\\n' }}"
    "{% endif %}"
    "{% for message in messages %}"
    "{% if not (loop.first and message['role'] == 'system') %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1536) -> PreTrainedTokenizerFast:
    """A byte-level BPE over `texts` (deterministic for the same texts in the same order)."""
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2, show_progress=False,
                                  special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(texts), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    return wrap(tok)


def wrap(tok: Tokenizer) -> PreTrainedTokenizerFast:
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=IM_END, pad_token=END_OF_TEXT,
                                   unk_token=None, bos_token=None, model_max_length=1024)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def save_tokenizer(tok: PreTrainedTokenizerFast, out: Path) -> None:
    """save_pretrained, then pin the tokenizer class (see the module docstring)."""
    out = Path(out)
    tok.save_pretrained(out)
    cfg_file = out / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = TOKENIZER_CLASS
    cfg_file.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_tokenizer(path: Path) -> PreTrainedTokenizerFast:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def encode(tok: PreTrainedTokenizerFast, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


__all__ = ["CHAT_TEMPLATE", "IMAGE", "IM_END", "IM_START", "END_OF_TEXT", "SPECIAL_TOKENS", "encode", "load_tokenizer",
           "save_tokenizer", "train_tokenizer", "wrap"]
