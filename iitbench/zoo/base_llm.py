"""`base-tiny`: a Qwen2-architecture causal LM trained from scratch on the zoo corpus with the HF `Trainer`.

Documents are tokenised piece by piece (so label boundaries never depend on BPE merges across pieces) and packed
greedily, in corpus order, into sequences of `seq_len` tokens, each document followed by `<|endoftext|>`:
- pre-training text: loss on every token;
- instruction conversations: loss on the assistant's answers and their `<|im_end|>` only (recipe
  `instruction_loss="answer"`), or on every token (`"all"`).
Padding sits at the end of a sequence and has label -100; causal attention means it never affects real tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from iitbench.errors import UserError
from iitbench.zoo.corpus import ANSWER_FORMAT, SYSTEM_PROMPT, Corpus, CorpusSpec
from iitbench.zoo.recipes import LLMRecipe
from iitbench.zoo.tokenizer import END_OF_TEXT, encode

IGNORE = -100


@dataclass(frozen=True)
class Doc:
    ids: tuple[int, ...]
    labels: tuple[int, ...]


def pretrain_doc(tok, text: str) -> Doc:
    ids = tuple(encode(tok, text)) + (tok.convert_tokens_to_ids(END_OF_TEXT),)
    return Doc(ids, ids)


def conversation_doc(tok, messages, loss: str = "answer") -> Doc:
    """ChatML pieces (= the chat template's output), labels on assistant replies + their end-of-turn."""
    if loss not in ("answer", "all"):
        raise UserError(f"instruction_loss={loss!r}: use answer or all")
    pieces: list[tuple[str, bool]] = []
    if not messages or messages[0].role != "system":
        pieces.append((f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n", False))
    for m in messages:
        if m.role == "assistant":
            pieces += [("<|im_start|>assistant\n", False), (m.content + "<|im_end|>", True), ("\n", False)]
        else:
            pieces.append((f"<|im_start|>{m.role}\n{m.content}<|im_end|>\n", False))
    pieces.append((END_OF_TEXT, loss == "all"))
    ids: list[int] = []
    labels: list[int] = []
    for text, scored in pieces:
        piece = encode(tok, text)
        ids += piece
        labels += piece if (scored or loss == "all") else [IGNORE] * len(piece)
    return Doc(tuple(ids), tuple(labels))


def corpus_docs(tok, corpus: Corpus, loss: str) -> list[Doc]:
    """Pre-training and instruction documents interleaved evenly (both lists are already seed-shuffled)."""
    pre = [pretrain_doc(tok, t) for t in corpus.pretrain]
    ins = [conversation_doc(tok, c.messages, loss) for c in corpus.instructions]
    tagged = [(i / max(1, len(pre)), 0, d) for i, d in enumerate(pre)] + \
             [(i / max(1, len(ins)), 1, d) for i, d in enumerate(ins)]
    return [d for _, _, d in sorted(tagged, key=lambda x: (x[0], x[1]))]


def pack(docs: list[Doc], seq_len: int, pad_id: int) -> list[dict[str, torch.Tensor]]:
    """Greedy packing into fixed-length rows; documents longer than a row are cut (counted by the caller)."""
    rows, ids, labels = [], [], []

    def flush() -> None:
        if ids:
            n = seq_len - len(ids)
            rows.append({"input_ids": torch.tensor(ids + [pad_id] * n, dtype=torch.long),
                         "labels": torch.tensor(labels + [IGNORE] * n, dtype=torch.long)})
        ids.clear()
        labels.clear()

    for d in docs:
        if len(ids) + len(d.ids) > seq_len:
            flush()
        ids += d.ids[:seq_len]
        labels += d.labels[:seq_len]
    flush()
    return rows


class _Rows(torch.utils.data.Dataset):
    def __init__(self, rows: list[dict[str, torch.Tensor]]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.rows[i]


def make_model(recipe: LLMRecipe, tok):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(vocab_size=len(tok), hidden_size=recipe.hidden_size,
                         intermediate_size=recipe.intermediate_size, num_hidden_layers=recipe.num_layers,
                         num_attention_heads=recipe.num_heads, num_key_value_heads=recipe.num_kv_heads,
                         max_position_embeddings=recipe.max_position_embeddings, tie_word_embeddings=True,
                         bos_token_id=None, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                         use_sliding_window=False)
    return Qwen2ForCausalLM(config)


@dataclass(frozen=True)
class LLMResult:
    model_dir: Path
    train_seconds: float
    n_sequences: int
    n_tokens: int
    n_loss_tokens: int
    final_loss: float | None
    parameters: int


def train_base_llm(recipe: LLMRecipe, tok, corpus: Corpus, out: Path, seed: int = 0, log=print) -> LLMResult:
    """Train with HF Trainer (CPU, `recipe.threads` threads), save model + tokenizer (safetensors) into `out`."""
    from transformers import Trainer, TrainingArguments, set_seed

    from iitbench.zoo.tokenizer import save_tokenizer

    torch.set_num_threads(recipe.threads)
    set_seed(seed)
    rows = pack(corpus_docs(tok, corpus, recipe.instruction_loss), recipe.seq_len, tok.pad_token_id)
    n_loss = int(sum(int((r["labels"] != IGNORE).sum()) for r in rows))
    model = make_model(recipe, tok)
    out = Path(out)
    args = TrainingArguments(
        output_dir=str(out / "_trainer"), max_steps=recipe.steps, per_device_train_batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate, lr_scheduler_type="cosine_with_min_lr",
        lr_scheduler_kwargs={"min_lr_rate": recipe.min_lr_ratio}, warmup_steps=recipe.warmup_steps,
        weight_decay=recipe.weight_decay, adam_beta2=0.95, max_grad_norm=1.0, seed=seed, data_seed=seed,
        logging_steps=max(1, recipe.steps // 10), save_strategy="no", report_to="none", use_cpu=True,
        dataloader_num_workers=0, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=_Rows(rows))
    if log:
        log(f"  base LLM: {len(rows)} sequences x {recipe.seq_len}, {n_loss} loss tokens, "
            f"{sum(p.numel() for p in model.parameters())} params, {recipe.steps} steps")
    t0 = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - t0
    model.config.answer_format = ANSWER_FORMAT  # the adapters read it: scored on option texts by default
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(tok, out)
    _drop_trainer_dir(out / "_trainer")
    return LLMResult(out, seconds, len(rows), len(rows) * recipe.seq_len, n_loss, getattr(result, "training_loss", None),
                     sum(p.numel() for p in model.parameters()))


def _drop_trainer_dir(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def micro_recipe() -> LLMRecipe:
    """A 3-step configuration for tests."""
    return replace(LLMRecipe(), hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2, num_kv_heads=1,
                   seq_len=128, batch_size=4, steps=3, warmup_steps=1,
                   corpus=CorpusSpec(n_statements=3, n_single=3, n_multi=3, world_repeats=1))


__all__ = ["Doc", "LLMResult", "conversation_doc", "corpus_docs", "make_model", "micro_recipe", "pack",
           "pretrain_doc", "train_base_llm"]
