"""`wings:<dir>` and `wings-base`: WINGS models from `wings_ref`, with images interleaved across turns.

A request is rendered by `wings_ref`'s `WingsProcessor` (ChatML, official system prompt, each image part as
`<image>` expanded to `image_seq_length` image-token ids where it stands). Candidates are scored as the assistant's
reply by continuation log-likelihood, as `hf-causal` does (the same splitting helpers): the text after the last
image is tokenised with and without the candidate, so image tokens never fall inside a candidate. Log-probs are
fp32 and scores do not depend on batching. `prefix_sharing=true` (default) reads each dialogue, image included,
once and then only the candidates' tokens over its KV cache and learner memory (`prefix_share`, `WingsCache`;
`batch_size` dialogues per pass); `prefix_sharing=false` forwards every candidate's whole sequence, right-padded
(WINGS uses true positions under padding; `batch_size` sequences per pass). Official mode's textual learner lets a
token of an image dialogue see later text (the released mask), so its image dialogues always take the naive path.
`describe()` counts `tokens_forwarded` / `tokens_unique`.

A directory in the released key layout (AIDC-AI/Wings-Qwen1_5-8B) loads through `wings_ref.official.load_official`
(default mode `official`); any other through `WingsForConditionalGeneration.from_pretrained` (safetensors; weights
the config needs but the files lack are an error, not a random init); see `wings_checkpoint.load_wings`. A model that
does not fit the device is refused before loading; `device_map=auto` (or a JSON map) spreads it over GPUs, CPU memory
and disk (`offload_folder`). `use_cache=false` turns the KV cache off in generation; official mode with an image
never uses one (the released decoding re-runs the sequence at every step), so both give the same text. Modes: `mode=None` keeps the checkpoint's (`clean` or `official`); `official` reproduces the released code, which
takes one image per sample, so dialogues with more images are not applicable (never silently dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from iitbench.errors import ModelError
from iitbench.models import hf_common as hc
from iitbench.models.hf_loglik import ScoreSeq, SeqScore, move_trailing_space, split_point
from iitbench.models.placement import IN_MEMORY, check_world
from iitbench.models.prefix_share import TokenTally, score_shared, supports_prefix_sharing, tally_naive
from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
    Message,
    TextScoreRequest,
    TextScoreResult,
    answer_format_of,
    hf_conversation,
    stable_hash,
)
from iitbench.models.wings_checkpoint import cached_snapshot, load_wings, parse_device_map
from wings_ref.placement import input_device

MODES = ("clean", "official")
# A fixed dialogue whose rendering identifies the prompt format in results.json (the template is code, not Jinja).
_PROBE = ({"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image"}, {"type": "text", "text": "b"}]},
          {"role": "assistant", "content": "c"}, {"role": "user", "content": "d"})


@dataclass(frozen=True)
class HeadSummedAttention:
    """Main-branch attention probabilities summed over heads, per decoder layer, for one rendered prompt."""

    input_ids: tuple[int, ...]
    is_image: tuple[bool, ...]
    layers: tuple[torch.Tensor, ...]  # each [L, L] float32 on CPU; row q = attention of query q over keys


@dataclass(frozen=True)
class _Rendered:
    """One request as text pieces (an image between each two) and its preprocessed images."""

    pieces: tuple[str, ...]
    pixels: torch.Tensor | None


class WingsAdapter(hc.WeightsIdentity, Adapter):
    """Any wings_ref checkpoint directory (WINGS or its LLaVA-style baseline), with images interleaved across turns."""

    name = "wings"

    def __init__(self, path: str, mode: str | None = None, dtype: str = "auto", device: str = "cpu",
                 batch_size: int = 8, max_length: int | None = None, prefix_sharing: bool = True,
                 use_cache: bool = True, device_map: str | None = None, offload_folder: str | None = None):
        if mode is not None and mode not in MODES:
            raise ModelError(f"--model-args mode={mode!r}: use clean or official (or leave it out for the "
                             f"checkpoint's own)")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ModelError(f"--model-args batch_size={batch_size!r}: give a positive integer")
        if max_length is not None and (not isinstance(max_length, int) or max_length < 2):
            raise ModelError(f"--model-args max_length={max_length!r}: give an integer of at least 2")
        for flag, value in (("prefix_sharing", prefix_sharing), ("use_cache", use_cache)):
            if not isinstance(value, bool):
                raise ModelError(f"--model-args {flag}={value!r}: write true or false")
        self.path = hc.check_source(path)
        self.device = hc.resolve_device(device)
        self.device_map = parse_device_map(device_map)
        check_world(self.device_map)
        spread = self.device_map is not None and torch.cuda.is_available()
        self.dtype = hc.resolve_dtype(dtype, "cuda" if spread else self.device)  # auto: bf16 on CUDA, fp32 on CPU
        self.batch_size = batch_size  # dialogues (naive path: sequences) per forward pass; scores do not depend on it
        self.use_cache = use_cache  # generation; official mode with an image never caches (the released decoding)
        self.model = load_wings(self.path, mode, self.dtype, self.device, self.device_map, offload_folder)
        if self.device_map is not None:  # inputs go where the embedding runs
            self.device = str(input_device(self.model))
        self._adopt(self.model, self._load_processor(self.path, self.model.config), max_length, prefix_sharing)

    @classmethod
    def from_model(cls, model, processor, batch_size: int = 8, prefix_sharing: bool = True) -> WingsAdapter:
        """An adapter around a WingsForConditionalGeneration already in memory (e.g. one being trained): its weights
        are read in place, in their dtype, on their device (`describe()` hashes the tensors)."""
        self = cls.__new__(cls)
        self.path, self.device_map, self.use_cache, self.batch_size = IN_MEMORY, None, True, batch_size
        self.device = str(input_device(model))
        self.dtype = getattr(model, "dtype", None) or next(model.parameters()).dtype
        self._adopt(model, processor, None, prefix_sharing)
        return self

    def _adopt(self, model, processor, max_length: int | None, prefix_sharing: bool) -> None:
        """Everything the adapter derives from its model and processor (shared by both constructors)."""
        self.model, self.processor = model, processor
        config = model.config
        self.mode = config.mode
        limit = config.text_config.max_position_embeddings
        if config.use_learners:  # the router's input width bounds the positions it can weigh
            limit = min(limit, config.router_width)
        if self.mode == "official":  # the released inference cuts longer inputs; wings_ref refuses them
            limit = min(limit, config.official_max_length)
            if max_length is not None and max_length > config.official_max_length:
                raise ModelError(f"--model-args max_length={max_length}: official mode stops at "
                                 f"{config.official_max_length} positions (the released code cuts longer inputs); "
                                 "use mode=clean for longer dialogues")
        self.window = int(max_length) if max_length is not None else int(limit)
        self.capabilities = Capabilities(images=True, generate=True, attention=True, max_context=self.window,
                                         max_images=1 if self.mode == "official" else None,
                                         candidates=answer_format_of(config))
        self.prefix_sharing = prefix_sharing and supports_prefix_sharing(model)
        # Official learners: a prefix token may attend to the candidate's text, so a shared prefix is not exact.
        self.share_images = not (self.mode == "official" and config.use_learners)
        self.tally = TokenTally()

    # -- loading -----------------------------------------------------------------------------------------------

    def _load_processor(self, path: str, config):
        from wings_ref.processing_wings import WingsProcessor

        return hc.load_or_explain("tokenizer/processor", path,
                                  lambda: WingsProcessor.from_pretrained(path, config=config))

    # -- prompts -----------------------------------------------------------------------------------------------

    def _render(self, key: str, messages: Sequence[Message]) -> _Rendered:
        reason = self.accepts(messages)
        if reason is not None:
            raise ModelError(f"request {key}: {reason}; the runner marks such dialogues n/a (check adapter.accepts)")
        try:
            pieces, _ = self.processor.render(hf_conversation(messages))
        except ValueError as e:
            raise ModelError(f"request {key}: {e}") from None
        images = [ref.load() for m in messages for ref in m.images]
        return _Rendered(pieces=tuple(pieces), pixels=self.processor.pixel_values(images))

    def _check_length(self, key: str, n: int) -> None:
        if n > self.window:
            raise ModelError(f"request {key}: {n} tokens exceed the model window of {self.window} (images cannot be "
                             f"truncated); pass a larger --model-args max_length only if the model supports it")

    # -- scoring -----------------------------------------------------------------------------------------------

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        seqs: list[ScoreSeq] = []
        pixels: list[torch.Tensor | None] = []
        owners: list[int] = []
        for r_index, req in enumerate(requests):
            rendered = self._render(req.key, req.messages)
            head, last = list(rendered.pieces[:-1]), rendered.pieces[-1]
            pairs = [move_trailing_space(last, c) for c in req.choices]
            for ctx, cont in pairs:
                context_ids = self.processor.encode(head + [ctx])
                full = self.processor.encode(head + [ctx + cont])
                seq = ScoreSeq(ids=tuple(full), cont_start=split_point(context_ids, full))
                image_end = max((i + 1 for i, t in enumerate(full) if t == self.processor.image_token_id), default=0)
                if seq.cont_start < image_end:  # cannot happen with the piecewise encoding; guards the contract
                    raise ModelError(f"request {req.key}: a candidate would include image tokens")
                self._check_length(req.key, len(seq.ids))
                seqs.append(seq)
                pixels.append(rendered.pixels)
                owners.append(r_index)
        scores = self._score(seqs, pixels, owners)
        per_request: list[list[SeqScore]] = [[] for _ in requests]
        for owner, score in zip(owners, scores):
            per_request[owner].append(score)
        return [ChoiceResult(logliks=tuple(s.loglik for s in ss), n_tokens=tuple(s.n_tokens for s in ss))
                for ss in per_request]

    @property
    def start_token_id(self) -> int:
        """What an empty raw-text context stands on: BOS, else EOS (lm-eval's end-of-text)."""
        start = self.processor.tokenizer.bos_token_id
        return int(start if isinstance(start, int) else self.processor.tokenizer.eos_token_id)

    def score_text(self, requests: Sequence[TextScoreRequest]) -> list[TextScoreResult]:
        """Raw text, no chat template and no image (cloze prompts, the lm-eval bridge): as `hf-causal:` scores it,
        so an MLLM and its base LLM get the same tokens; the choices of one context share its KV cache."""
        seqs: list[ScoreSeq] = []
        for req in requests:
            context, continuation = move_trailing_space(req.context, req.continuation)  # lm-eval's rule
            full = self.processor.encode_text(context + continuation)
            if context:
                seq = ScoreSeq(ids=tuple(full), cont_start=split_point(self.processor.encode_text(context), full))
            else:
                seq = ScoreSeq(ids=tuple(full), cont_start=0)
            if seq.cont_start == 0:  # an empty context stands on end-of-text, as lm-eval's does
                seq = ScoreSeq(ids=(self.start_token_id,) + seq.ids, cont_start=1)
            self._check_length(req.key, len(seq.ids))
            seqs.append(seq)
        scores = self._score(seqs, [None] * len(seqs), [r.context for r in requests])
        return [TextScoreResult(loglik=s.loglik, n_tokens=s.n_tokens, is_greedy=s.is_greedy) for s in scores]

    def _score(self, seqs: Sequence[ScoreSeq], pixels: Sequence[torch.Tensor | None],
               owners: Sequence[int]) -> list[SeqScore]:
        """Continuation scores in input order; `owners[i]` names the request (prompt and images) of sequence i."""
        share = [self.prefix_sharing and (p is None or self.share_images) for p in pixels]
        shared, naive = [i for i, s in enumerate(share) if s], [i for i, s in enumerate(share) if not s]
        out: list[SeqScore | None] = [None] * len(seqs)
        if shared:
            own = [pixels[i] for i in shared]

            def images(chunk):  # a group holds one request's candidates: its first member's images, in row order
                return {"pixel_values": self._stack([own[g.members[0]] for g in chunk])}

            scores = score_shared(self.model, [seqs[i] for i in shared], [owners[i] for i in shared], self.batch_size,
                                  self.processor.pad_id, self.device, self.tally, prefix_inputs=images)
            for i, score in zip(shared, scores):
                out[i] = score
        if naive:
            tally_naive([seqs[i] for i in naive], [owners[i] for i in naive], self.tally)
            for i, score in zip(naive, self._score_naive([seqs[i] for i in naive], [pixels[i] for i in naive])):
                out[i] = score
        return out  # type: ignore[return-value]

    @torch.inference_mode()
    def _score_naive(self, seqs: Sequence[ScoreSeq], pixels: Sequence[torch.Tensor | None]) -> list[SeqScore]:
        """Every sequence forwarded whole, longest first in batches, right-padded; results in input order."""
        from wings_ref.processing_wings import pad_rows

        out: list[SeqScore | None] = [None] * len(seqs)
        order = sorted(range(len(seqs)), key=lambda i: (-len(seqs[i].ids), i))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            ids, mask = pad_rows([seqs[i].ids for i in chunk], self.processor.pad_id, "right")
            width = ids.shape[1]
            # Logit position p predicts token p + 1; keep the suffix from the first position any row needs.
            first = max(0, min(seqs[i].cont_start for i in chunk) - 1)
            logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                pixel_values=self._stack([pixels[i] for i in chunk]), use_cache=False,
                                logits_to_keep=width - first).logits
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            for row, i in enumerate(chunk):
                seq = seqs[i]
                targets = list(range(seq.cont_start, len(seq.ids)))
                cols = torch.tensor([t - 1 - first for t in targets], dtype=torch.long, device=logprobs.device)
                tok = torch.tensor([seq.ids[t] for t in targets], dtype=torch.long, device=logprobs.device)
                lp = logprobs[row, cols, tok]
                out[i] = SeqScore(loglik=float(lp.double().sum()), n_tokens=len(targets))
        return out  # type: ignore[return-value]

    def _stack(self, pixels: Sequence[torch.Tensor | None]) -> torch.Tensor | None:
        """Images of a batch in row order (the model fills placeholders sample by sample, left to right)."""
        present = [p for p in pixels if p is not None]
        return torch.cat(present).to(self.device) if present else None

    # -- generation --------------------------------------------------------------------------------------------

    @torch.inference_mode()
    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        from transformers import GenerationConfig

        from wings_ref.processing_wings import pad_rows

        rendered = [self._render(r.key, r.messages) for r in requests]
        encoded = [self.processor.encode(list(x.pieces)) for x in rendered]
        for req, ids in zip(requests, encoded):
            self._check_length(req.key, len(ids) + req.max_new_tokens)
        eos = self._eos_ids()
        texts = [""] * len(requests)
        order = sorted(range(len(requests)), key=lambda i: (-len(encoded[i]), i))
        for start in range(0, len(order), self.batch_size):
            chunk = order[start:start + self.batch_size]
            ids, mask = pad_rows([encoded[i] for i in chunk], self.processor.pad_id, "left")
            config = GenerationConfig(do_sample=False, max_new_tokens=max(requests[i].max_new_tokens for i in chunk),
                                      pad_token_id=self.processor.pad_id, eos_token_id=eos or None)
            out = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                      pixel_values=self._stack([rendered[i].pixels for i in chunk]),
                                      generation_config=config, use_cache=self.use_cache)
            for row, i in enumerate(chunk):
                new = out[row, ids.shape[1]:].tolist()[:requests[i].max_new_tokens]
                cut = next((k for k, t in enumerate(new) if t in eos), len(new))
                text = self.processor.tokenizer.decode(new[:cut], skip_special_tokens=True)
                cuts = [text.find(s) for s in requests[i].stop if s and s in text]
                texts[i] = text[:min(cuts)] if cuts else text
        return [GenerateResult(text=t) for t in texts]

    def _eos_ids(self) -> list[int]:
        return hc.eos_ids(self.processor.tokenizer, self.model.generation_config, self.model.config)

    # -- attention (a building block of LAWS) ------------------------------------------------------------------

    @torch.inference_mode()
    def head_summed_attention(self, request: ChoiceRequest | GenerateRequest) -> HeadSummedAttention:
        """Per layer, the main attention probabilities summed over heads ([L, L]) of the request's prompt."""
        rendered = self._render(request.key, request.messages)
        ids = self.processor.encode(list(rendered.pieces))
        self._check_length(request.key, len(ids))
        out = self.model(input_ids=torch.tensor([ids], device=self.device), pixel_values=self._stack([rendered.pixels]),
                         use_cache=False, logits_to_keep=1, output_head_summed_attentions=True)
        return HeadSummedAttention(input_ids=tuple(ids),
                                   is_image=tuple(t == self.processor.image_token_id for t in ids),
                                   layers=tuple(a[0].float().cpu() for a in out.head_summed_attentions))

    def apply_chat_template(self, chat_history, add_generation_prompt: bool = True) -> str | None:
        """The prompt text of a text-only chat history (the official system prompt and ChatML turns)."""
        return self.processor.apply_chat_template(list(chat_history), add_generation_prompt=add_generation_prompt)

    # -- identity ----------------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            **self.weights_description(),
            "mode": self.mode,
            "use_learners": bool(self.model.config.use_learners),
            "chat_template_hash": stable_hash({"processor": self.processor.to_dict(),
                                               "probe": self.processor.apply_chat_template(list(_PROBE))}),
            "max_context": self.window,
            "prefix_sharing": self.prefix_sharing,
            "device_map": self.device_map,
            **self.tally.to_json(),
        }


class WingsBaseAdapter(WingsAdapter):
    """The paper's model, Wings-Qwen1_5-8B (AIDC-AI/Wings-Qwen1_5-8B), from --model-args path=DIR or the HF cache."""

    name = "wings-base"

    def __init__(self, path: str | None = None, mode: str | None = None, dtype: str = "auto", device: str = "cpu",
                 batch_size: int = 8, max_length: int | None = None, prefix_sharing: bool = True,
                 use_cache: bool = True, device_map: str | None = None, offload_folder: str | None = None):
        super().__init__(str(path) if path else cached_snapshot(), mode=mode, dtype=dtype, device=device,
                         batch_size=batch_size, max_length=max_length, prefix_sharing=prefix_sharing,
                         use_cache=use_cache, device_map=device_map, offload_folder=offload_folder)
