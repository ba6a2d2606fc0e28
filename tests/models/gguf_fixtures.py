"""Tiny GGUF files for the conversion tests, written with `gguf.GGUFWriter` in well under a second.

`write_tiny_gguf(path)` writes a 2-layer Llama (hidden 64) whose matrices are Q8_0-quantised, with a byte-level BPE
vocabulary (the 256 byte symbols, a few merges, `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`) and a ChatML chat
template in its metadata: the same layout llama.cpp's converter writes, so transformers reads it like any GGUF.
`arch="..."` writes the same tensors under another architecture name (one transformers cannot read); see
`write_tiny_gguf` for the other variants.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.tiny_lm import CHATML_TEMPLATE

SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
MERGES = ("Ġ t", "h e", "Ġt he", "a n", "Ġ a")
HIDDEN, FFN, LAYERS, HEADS, KV_HEADS = 64, 128, 2, 4, 2


def _vocab() -> tuple[list[str], list[int]]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    tokens = list(bytes_to_unicode().values())
    tokens += ["".join(m.split(" ")) for m in MERGES]
    types = [1] * len(tokens)  # normal
    tokens += list(SPECIALS)
    types += [3] * len(SPECIALS)  # control
    return tokens, types


def write_tiny_gguf(path: Path, seed: int = 0, arch: str = "llama", nan: bool = False, tied: bool = False,
                    split_count: int | None = None) -> Path:
    """Write the tiny GGUF to `path` (seeded weights). `nan=True` puts a NaN in one norm (a damaged payload);
    `tied=True` leaves out output.weight (the head reuses the embedding, as SmolLM2's does); `split_count` marks the
    file as part 1 of a split GGUF."""
    import gguf
    import numpy as np

    rng = np.random.default_rng(seed)
    tokens, types = _vocab()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny-llama")
    w.add_block_count(LAYERS)
    w.add_context_length(128)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FFN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(HIDDEN // HEADS)
    w.add_vocab_size(len(tokens))
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(list(MERGES))
    w.add_bos_token_id(tokens.index("<|endoftext|>"))
    w.add_eos_token_id(tokens.index("<|im_end|>"))
    w.add_pad_token_id(tokens.index("<|endoftext|>"))
    w.add_chat_template(CHATML_TEMPLATE)
    if split_count is not None:
        w.add_uint16("split.count", split_count)

    def matrix(name: str, rows: int, cols: int) -> None:
        data = (rng.standard_normal((rows, cols)) * 0.1).astype(np.float32)
        q = gguf.quantize(data, gguf.GGMLQuantizationType.Q8_0)
        w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=gguf.GGMLQuantizationType.Q8_0)

    def norm(name: str) -> None:
        data = np.ones(HIDDEN, dtype=np.float32)
        if nan:
            data[0] = np.nan
        w.add_tensor(name, data)

    head = HIDDEN // HEADS
    matrix("token_embd.weight", len(tokens), HIDDEN)
    norm("output_norm.weight")
    if not tied:
        matrix("output.weight", len(tokens), HIDDEN)
    for i in range(LAYERS):
        norm(f"blk.{i}.attn_norm.weight")
        norm(f"blk.{i}.ffn_norm.weight")
        matrix(f"blk.{i}.attn_q.weight", HIDDEN, HIDDEN)
        matrix(f"blk.{i}.attn_k.weight", KV_HEADS * head, HIDDEN)
        matrix(f"blk.{i}.attn_v.weight", KV_HEADS * head, HIDDEN)
        matrix(f"blk.{i}.attn_output.weight", HIDDEN, HIDDEN)
        matrix(f"blk.{i}.ffn_gate.weight", FFN, HIDDEN)
        matrix(f"blk.{i}.ffn_up.weight", FFN, HIDDEN)
        matrix(f"blk.{i}.ffn_down.weight", HIDDEN, FFN)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
