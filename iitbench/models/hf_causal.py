"""`hf-causal:<dir-or-hub-id>`: any Hugging Face `AutoModelForCausalLM` (a text-only base LLM).

A `.gguf` file (or a folder without config.json holding one) is converted once into a safetensors folder in the
iitbench cache and loaded from there (`iitbench.models.gguf_cache`); `describe()["gguf"]` is its provenance.

Prompts: the tokenizer's own chat template (`apply_chat_template(..., add_generation_prompt=True)`); a tokenizer
without one needs `--model-args plain_template=true`, which renders `PLAIN_TEMPLATE` ("User: ...", "Assistant: ..."
lines ending with "Assistant: "). `chat_template=FILE.jinja` uses a template file instead. The sha256 of the template
text actually used is `describe()["chat_template_hash"]`.

Scoring: continuation log-likelihood (see `iitbench.models.hf_loglik`). Contexts longer than the window (`max_length`,
else the config's `max_position_embeddings`) lose their oldest tokens (`truncation=left`, counted in `describe()`)
or raise (`truncation=error`). Images are not taken: dialogues with images are marked not applicable.
`prefix_sharing=true` (default) reads each dialogue once and then only the candidates' own tokens over its KV cache
(single-token candidates cost no extra forward; `iitbench.models.prefix_share`); `prefix_sharing=false` forwards
every candidate's whole sequence (the reference path). `describe()` counts `tokens_forwarded` / `tokens_unique`.
`batch_size` is the number of dialogues (naive path: sequences) per forward pass; scores do not depend on it.
`dtype=auto` is float32 on CPU and bfloat16 (else float16) on CUDA; `device=auto` is cuda when available.

Raw text (`score_text`, `generate_text`; the lm-eval bridge): no template; the text is encoded with the tokenizer's
own leading special tokens (e.g. BOS, unless the text already starts with it), all trailing whitespace of a context
moves into its continuation and an empty context becomes BOS (else EOS), as lm-eval's `HFLM` does. The split between
context and continuation tokens is the common prefix of the two encodings (lm-eval cuts at the context's length; the
two agree unless BPE merges across the boundary).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.models import hf_common as hc
from iitbench.models.gguf_cache import convert_if_gguf
from iitbench.models.hf_loglik import ScoreSeq, move_trailing_space, score_sequences, split_point, truncate_left
from iitbench.models.placement import IN_MEMORY, input_device, parse_device_map
from iitbench.models.prefix_share import TokenTally, score_shared, supports_prefix_sharing, tally_naive
from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
    Message,
    TextGenerateRequest,
    TextScoreRequest,
    TextScoreResult,
    answer_format_of,
    cut_at_stops,
)

# Newlines are string literals: Jinja (trim_blocks) drops a newline right after a block tag.
PLAIN_TEMPLATE = (
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}{{ ': ' + message['content'] + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}"
)
DEFAULT_WINDOW = 2048  # when neither max_length nor the config gives one


@dataclass(frozen=True)
class _GenJob:
    """What generation needs of a request, whether it came as messages or as raw text."""

    key: str
    max_new_tokens: int
    stop: tuple[str, ...]


class HFCausalAdapter(hc.WeightsIdentity, Adapter):
    """Any Hugging Face AutoModelForCausalLM: a text-only base LLM, scored by continuation log-likelihood."""

    name = "hf-causal"
    gguf: dict[str, Any] | None = None  # provenance of the GGUF conversion the weights come from, if any

    def __init__(self, path: str, dtype: str = "auto", device: str = "cpu", chat_template: bool | str = True,
                 plain_template: bool = False, max_length: int | None = None, truncation: str = "left",
                 trust_remote_code: bool = False, revision: str | None = None, batch_size: int = 8,
                 prefix_sharing: bool = True, allow_pickle: bool = False, device_map: str | None = None,
                 offload_folder: str | None = None):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        hc.check_model_args(truncation, max_length, batch_size, trust_remote_code=trust_remote_code,
                            allow_pickle=allow_pickle)
        self.revision = None if revision is None else str(revision)
        self.device = hc.resolve_device(device)
        self.device_map = parse_device_map(device_map)
        spread = self.device_map is not None and torch.cuda.is_available()
        self.dtype = hc.resolve_dtype(dtype, "cuda" if spread else self.device)  # auto: bf16 on CUDA, fp32 on CPU
        converted = convert_if_gguf(path)  # a .gguf (or a folder with one): its cached conversion; args checked first
        self.gguf = converted.provenance if converted is not None else None
        self.path = hc.check_source(converted.folder if converted is not None else path)
        self.batch_size = batch_size  # sequences per forward pass; scores do not depend on it
        common = {"revision": self.revision, "trust_remote_code": trust_remote_code}
        self.tokenizer = hc.load_or_explain("tokenizer", self.path,
                                            lambda: AutoTokenizer.from_pretrained(self.path, **common))
        self.model = hc.load_weights(AutoModelForCausalLM, self.path, self.dtype, self.device, self.revision,
                                     trust_remote_code, allow_pickle, self.device_map, offload_folder)
        if self.device_map is not None:  # inputs go where the embedding runs
            self.device = input_device(self.model)
        if not isinstance(prefix_sharing, bool):
            raise ModelError(f"--model-args prefix_sharing={prefix_sharing!r}: write true or false")
        self._adopt(self.model, self.tokenizer, chat_template, plain_template, max_length, truncation, prefix_sharing)

    @classmethod
    def from_model(cls, model, tokenizer, batch_size: int = 8, prefix_sharing: bool = True,
                   plain_template: bool | None = None) -> HFCausalAdapter:
        """An adapter around a causal LM already in memory (e.g. one being trained): weights read in place, in their
        dtype, on their device. `plain_template` None = the plain template only when the tokenizer has none."""
        self = cls.__new__(cls)
        self.path, self.revision, self.device_map, self.batch_size = IN_MEMORY, None, None, batch_size
        self.device = input_device(model)
        self.dtype = getattr(model, "dtype", None) or next(model.parameters()).dtype
        plain = not getattr(tokenizer, "chat_template", None) if plain_template is None else plain_template
        self._adopt(model, tokenizer, True, plain, None, "left", prefix_sharing)
        return self

    def _adopt(self, model, tokenizer, chat_template: bool | str, plain_template: bool, max_length: int | None,
               truncation: str, prefix_sharing: bool) -> None:
        """Everything the adapter derives from its model and tokenizer (shared by both constructors)."""
        self.model, self.tokenizer, self.truncation = model, tokenizer, truncation
        self.template, self.template_kind = self._pick_template(chat_template, plain_template)
        self.window = int(max_length) if max_length is not None else hc.config_window(model, DEFAULT_WINDOW,
                                                                                          tokenizer)
        self.capabilities = Capabilities(images=False, generate=True, attention=True, max_context=self.window,
                                         candidates=answer_format_of(model.config))
        self.pad_id = self._pad_id()
        self.prefix_ids = self._prefix_ids()
        self.raw_prefix_ids = self._special_prefix()  # raw text (score_text) always gets the tokenizer's own
        self.truncated_requests = 0
        # false (or a model whose forward takes no positions / cache): every candidate forwarded whole.
        self.prefix_sharing = prefix_sharing and supports_prefix_sharing(model)
        self.tally = TokenTally()

    # -- setup -------------------------------------------------------------------------------------------------

    def _pick_template(self, chat_template: bool | str, plain_template: bool) -> tuple[str, str]:
        if plain_template or chat_template is False:
            return PLAIN_TEMPLATE, "plain"
        if isinstance(chat_template, str):
            file = Path(chat_template).expanduser()
            if not file.is_file():
                raise ModelError(f"--model-args chat_template={chat_template}: no such file; give a .jinja file, "
                                 f"true (the tokenizer's template) or false (the plain template)")
            return file.read_text(encoding="utf-8"), "file"
        try:
            text = self.tokenizer.get_chat_template()
        except (ValueError, AttributeError, TypeError):
            text = None
        if not text:
            raise ModelError(f"the tokenizer of {self.path} has no chat template; pass --model-args "
                             f"plain_template=true to use iitbench's plain 'User: ... / Assistant: ...' template")
        return text, "chat"

    def _pad_id(self) -> int:
        for value in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id, self.model.config.pad_token_id):
            if isinstance(value, int):
                return value
        return 0  # any id works: padded positions are masked and never scored

    def _prefix_ids(self) -> tuple[int, ...]:
        """Special tokens put before a templated prompt: the tokenizer's own for the plain template; chat templates
        write their own."""
        return self._special_prefix() if self.template_kind == "plain" else ()

    def _special_prefix(self) -> tuple[int, ...]:
        """Special tokens the tokenizer puts before text (e.g. Llama's BOS)."""
        with_special = self.tokenizer("x", add_special_tokens=True)["input_ids"]
        bare = self.tokenizer("x", add_special_tokens=False)["input_ids"]
        k = len(with_special) - len(bare)
        return tuple(with_special[:k]) if k > 0 and with_special[k:k + len(bare)] == bare else ()

    # -- prompts -----------------------------------------------------------------------------------------------

    def render(self, messages: Sequence[Message]) -> str:
        """The prompt string for `messages`, ending where the assistant's reply begins."""
        conv = [{"role": m.role, "content": m.text} for m in messages]
        try:
            return self.tokenizer.apply_chat_template(conv, chat_template=self.template, add_generation_prompt=True,
                                                      tokenize=False)
        except Exception as e:  # noqa: BLE001 - jinja errors (e.g. templates that reject a system role)
            raise ModelError(f"the {self.template_kind} template of {self.path} cannot render this dialogue: {e}; "
                             f"try --model-args plain_template=true") from None

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
        return [list(self.prefix_ids) + list(x) for x in ids]

    def _context_fallback(self) -> int:
        """The token that stands for an empty context (lm-eval uses end-of-text)."""
        for value in (self.tokenizer.bos_token_id, self.tokenizer.eos_token_id):
            if isinstance(value, int):
                return value
        return self.pad_id

    # -- scoring -----------------------------------------------------------------------------------------------

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        seqs: list[ScoreSeq] = []
        owners: list[int] = []
        for r_index, req in enumerate(requests):
            if any(m.images for m in req.messages):
                raise ModelError(f"request {req.key}: hf-causal is text-only and got an image; the runner should "
                                 f"mark it not applicable (check adapter.accepts)")
            prompt = self.render(req.messages)
            pairs = [move_trailing_space(prompt, c) for c in req.choices]
            encoded = self._encode([pairs[0][0]] + [ctx + cont for ctx, cont in pairs]) if pairs else []
            context_ids, fulls = (encoded[0], encoded[1:]) if encoded else ([], [])
            truncated = False
            for full in fulls:
                seq = ScoreSeq(ids=tuple(full), cont_start=split_point(context_ids, full))
                if seq.cont_start == 0:
                    seq = ScoreSeq(ids=(self._context_fallback(),) + seq.ids, cont_start=1)
                seq, cut = self._fit(seq, req.key)
                truncated = truncated or cut
                seqs.append(seq)
                owners.append(r_index)
            self.truncated_requests += int(truncated)
        scores = self._score_seqs(seqs, owners)
        per_request: list[list] = [[] for _ in requests]
        for owner, score in zip(owners, scores):
            per_request[owner].append(score)
        return [ChoiceResult(logliks=tuple(s.loglik for s in ss), n_tokens=tuple(s.n_tokens for s in ss))
                for ss in per_request]

    def _score_seqs(self, seqs: Sequence[ScoreSeq], groups: Sequence[Any]):
        """Continuation scores; `groups[i]` names the sequences that share a context (see `prefix_share`)."""
        if self.prefix_sharing:
            return score_shared(self.model, seqs, groups, self.batch_size, self.pad_id, self.device, self.tally)
        tally_naive(seqs, groups, self.tally)
        return score_sequences(self.model, seqs, self.batch_size, self.pad_id, self.device)

    def _fit(self, seq: ScoreSeq, key: str) -> tuple[ScoreSeq, bool]:
        """The sequence fitted to the window (oldest tokens dropped) and whether it was cut; raises if it cannot."""
        if len(seq.ids) <= self.window:
            return seq, False
        fitted = truncate_left(seq, self.window) if self.truncation == "left" else None
        if fitted is None:
            raise ModelError(self._too_long(key, len(seq.ids)))
        return fitted, True

    # -- raw text (lm-eval bridge) -----------------------------------------------------------------------------

    def _encode_raw(self, texts: Sequence[str]) -> list[list[int]]:
        """Raw text with the tokenizer's leading special tokens, unless the text already starts with them."""
        ids = self.tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
        prefix = list(self.raw_prefix_ids)
        return [(list(x) if prefix and list(x[:len(prefix)]) == prefix else prefix + list(x)) for x in ids]

    def score_text(self, requests: Sequence[TextScoreRequest]) -> list[TextScoreResult]:
        seqs: list[ScoreSeq] = []
        # lm-eval moves all trailing whitespace into the continuation
        split = [(r.context.rstrip(), r.context[len(r.context.rstrip()):] + r.continuation) for r in requests]
        # One batched tokenizer call for each distinct context and context + continuation: the choices of a
        # question share their context, and per-string calls cost a fifth of a small model's scoring time.
        texts = sorted({c for c, _ in split if c} | {c + k for c, k in split if c})
        encoded = dict(zip(texts, self._encode_raw(texts)))
        for req, (context, continuation) in zip(requests, split):
            if not context:
                cont = self.tokenizer(continuation, add_special_tokens=False)["input_ids"]
                start = self._context_fallback()
                seq = (ScoreSeq(ids=(start, *cont), cont_start=1) if not cont or cont[0] != start
                       else ScoreSeq(ids=tuple(cont), cont_start=1))
            else:
                context_ids, full = encoded[context], encoded[context + continuation]
                seq = ScoreSeq(ids=tuple(full), cont_start=split_point(context_ids, full))
                if seq.cont_start == 0:
                    seq = ScoreSeq(ids=(self._context_fallback(),) + seq.ids, cont_start=1)
            seq, cut = self._fit(seq, req.key)
            self.truncated_requests += int(cut)
            seqs.append(seq)
        scores = self._score_seqs(seqs, [r.context for r in requests])
        return [TextScoreResult(loglik=s.loglik, n_tokens=s.n_tokens, is_greedy=s.is_greedy) for s in scores]

    def generate_text(self, requests: Sequence[TextGenerateRequest]) -> list[GenerateResult]:
        encoded = self._encode_raw([r.prompt for r in requests])
        jobs = [_GenJob(key=r.key, max_new_tokens=r.max_new_tokens, stop=tuple(r.until)) for r in requests]
        return self._generate_ids(encoded, [""] * len(requests), jobs)

    def apply_chat_template(self, chat_history: Sequence[dict[str, str]],
                            add_generation_prompt: bool = True) -> str | None:
        conv = [{"role": m["role"], "content": m["content"]} for m in chat_history]
        return self.tokenizer.apply_chat_template(conv, chat_template=self.template, tokenize=False,
                                                  add_generation_prompt=add_generation_prompt)

    def _too_long(self, key: str, n: int) -> str:
        if self.truncation == "error":
            return (f"request {key}: {n} tokens exceed the model window of {self.window}; pass --model-args "
                    f"truncation=left to drop the oldest tokens, or a larger max_length")
        return (f"request {key}: the candidate answer alone does not fit the model window of {self.window} tokens; "
                f"pass a larger --model-args max_length")

    # -- generation --------------------------------------------------------------------------------------------

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        prompts, moved = [], []
        for req in requests:
            if any(m.images for m in req.messages):
                raise ModelError(f"request {req.key}: hf-causal is text-only and got an image")
            ctx, space = move_trailing_space(self.render(req.messages), "")
            prompts.append(ctx)
            moved.append(space)
        jobs = [_GenJob(key=r.key, max_new_tokens=r.max_new_tokens, stop=tuple(r.stop)) for r in requests]
        return self._generate_ids(self._encode(prompts), moved, jobs)

    @torch.inference_mode()
    def _generate_ids(self, encoded: list[list[int]], moved: list[str],
                      requests: Sequence[_GenJob]) -> list[GenerateResult]:
        """Greedy, left-padded batches of encoded prompts; `moved[i]` is a space taken off prompt i's end."""
        from transformers import GenerationConfig

        for req, ids in zip(requests, encoded):
            room = self.window - req.max_new_tokens
            if len(ids) > room:
                if self.truncation == "error" or room < 1:
                    raise ModelError(self._too_long(req.key, len(ids) + req.max_new_tokens))
                del ids[:len(ids) - room]
                self.truncated_requests += 1
        eos = self._eos_ids()
        texts: list[str] = [""] * len(requests)
        order = sorted(range(len(requests)), key=lambda i: (-len(encoded[i]), i))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            width = max(len(encoded[i]) for i in chunk)
            ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):  # left padding: every prompt ends at the same column
                n = len(encoded[i])
                ids[row, width - n:] = torch.tensor(encoded[i], dtype=torch.long)
                mask[row, width - n:] = 1
            steps = max(requests[i].max_new_tokens for i in chunk)
            # Stop early on stop strings only when the whole chunk shares them: another row's stop string must
            # not end a row early (replies would then depend on batching). Texts are cut below either way.
            stops = {requests[i].stop for i in chunk}
            shared = sorted(next(iter(stops))) if len(stops) == 1 and all(next(iter(stops))) else None
            config = GenerationConfig(do_sample=False, max_new_tokens=steps, pad_token_id=self.pad_id,
                                      eos_token_id=eos or None, stop_strings=shared or None)
            out = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                      generation_config=config, tokenizer=self.tokenizer if shared else None)
            for row, i in enumerate(chunk):
                new = out[row, width:].tolist()[:requests[i].max_new_tokens]
                cut = next((k for k, t in enumerate(new) if t in eos), len(new))
                texts[i] = self._finish(self.tokenizer.decode(new[:cut], skip_special_tokens=True),
                                        moved[i], requests[i].stop)
        return [GenerateResult(text=t) for t in texts]

    def _eos_ids(self) -> list[int]:
        return hc.eos_ids(self.tokenizer, getattr(self.model, "generation_config", None))

    @staticmethod
    def _finish(text: str, moved: str, stop: Sequence[str]) -> str:
        if moved and text.startswith(moved):  # the space we took off the prompt comes back as the reply's first token
            text = text[len(moved):]
        return cut_at_stops(text, stop)

    # -- identity ----------------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            **self.weights_description(),
            "device_map": self.device_map,
            "chat_template_hash": hashlib.sha256(self.template.encode()).hexdigest(),
            "template": self.template_kind,
            "max_context": self.window,
            "truncation": self.truncation,
            "truncated_requests": self.truncated_requests,
            "prefix_sharing": self.prefix_sharing,
            **self.tally.to_json(),
            **({"gguf": dict(self.gguf)} if self.gguf else {}),
        }
