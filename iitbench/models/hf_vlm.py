"""`hf:<dir-or-hub-id>`: any Hugging Face `AutoModelForImageTextToText` with its `AutoProcessor`.

Prompts: the processor's chat template over content lists (`{"type": "image"}` / `{"type": "text"}` parts, in the
order of the dialogue), rendered with `add_generation_prompt=True`; then `processor(text=..., images=...)` expands
the image placeholders and builds every input the family needs (pixel_values, image_grid_thw, mm_token_type_ids,
token_type_ids, pixel_attention_mask, image_sizes, ...). A model without a chat template needs
`--model-args plain_template=true`: "User: ...", "Assistant: ..." lines with images written as the processor's
image token. Processors that need torchvision are built image-only (see `iitbench.models.hf_processor`).

Scoring: each candidate is scored as the assistant's continuation with the same boundary rule as hf-causal
(`hf_loglik.split_point` on the processed token ids of context and context+candidate); log-probs in fp32.
`prefix_sharing=true` (default) reads each dialogue, images included, once and then only the candidates' own tokens
over its KV cache (`iitbench.models.hf_vlm_share`; `batch_size` dialogues per pass); families not verified exact
(see `hf_vlm_share.SHARED_FAMILIES`) fall back to the naive path, and `describe()` says so. `prefix_sharing=false`
(the reference path) runs one forward per (request, candidate), `batch_size` sequences per pass, right-padded.
`describe()` counts `tokens_forwarded` / `tokens_unique` (image tokens included). Generation: greedy,
left-padded batches. Dialogues longer than the window raise; text-only ones lose their oldest tokens with
`truncation=left` (a dialogue with images is never cut, since that could split an image's tokens).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from iitbench.errors import ModelError
from iitbench.models import hf_common as hc
from iitbench.models.hf_loglik import ScoreSeq, move_trailing_space, split_point
from iitbench.models.hf_processor import load_processor
from iitbench.models.hf_vlm_batch import Row, forward_scores, generate_rows
from iitbench.models.hf_vlm_share import score_shared_vlm, sharing_support
from iitbench.models.placement import IN_MEMORY, input_device, parse_device_map
from iitbench.models.prefix_share import TokenTally, tally_naive
from iitbench.models.protocol import (
    Adapter,
    Capabilities,
    ChoiceRequest,
    ChoiceResult,
    GenerateRequest,
    GenerateResult,
    Message,
    answer_format_of,
    hf_conversation,
)

# Newlines are string literals: Jinja (trim_blocks) drops a newline right after a block tag. IMAGE is replaced by
# the processor's image token.
PLAIN_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] | capitalize }}{{ ': ' }}"
    "{% for part in message['content'] %}{% if part['type'] == 'image' %}{{ 'IMAGE' }}"
    "{% else %}{{ part['text'] }}{% endif %}{% endfor %}{{ '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}"
)
DEFAULT_WINDOW = 4096


class HFVLMAdapter(hc.WeightsIdentity, Adapter):
    """Any Hugging Face image-text-to-text model, scored by continuation log-likelihood with images in any turn."""

    name = "hf"

    def __init__(self, path: str, dtype: str = "auto", device: str = "cpu", batch_size: int = 8,
                 trust_remote_code: bool = False, revision: str | None = None, max_length: int | None = None,
                 truncation: str = "left", max_images: int | None = None, plain_template: bool = False,
                 prefix_sharing: bool = True, allow_pickle: bool = False, device_map: str | None = None,
                 offload_folder: str | None = None):
        import torch
        from transformers import AutoModelForImageTextToText

        hc.check_model_args(truncation, max_length, batch_size, trust_remote_code=trust_remote_code,
                            allow_pickle=allow_pickle,
                            plain_template=plain_template)
        if max_images is not None and (not isinstance(max_images, int) or max_images < 0):
            raise ModelError(f"--model-args max_images={max_images!r}: give a non-negative integer")
        if not isinstance(prefix_sharing, bool):
            raise ModelError(f"--model-args prefix_sharing={prefix_sharing!r}: write true or false")
        self.path = hc.check_source(path)
        self.revision = None if revision is None else str(revision)
        self.device = hc.resolve_device(device)
        self.device_map = parse_device_map(device_map)
        spread = self.device_map is not None and torch.cuda.is_available()
        self.dtype = hc.resolve_dtype(dtype, "cuda" if spread else self.device)  # auto: bf16 on CUDA, fp32 on CPU
        self.batch_size = batch_size
        processor = load_processor(self.path, self.revision, trust_remote_code)
        self.model = hc.load_weights(AutoModelForImageTextToText, self.path, self.dtype, self.device, self.revision,
                                     trust_remote_code, allow_pickle, self.device_map, offload_folder)
        if self.device_map is not None:  # inputs go where the embedding runs
            self.device = input_device(self.model)
        self._adopt(self.model, processor, plain_template, max_length, truncation, max_images, prefix_sharing)

    @classmethod
    def from_model(cls, model, processor, batch_size: int = 8, prefix_sharing: bool = True,
                   plain_template: bool | None = None) -> HFVLMAdapter:
        """An adapter around an image-text-to-text model already in memory (e.g. one being trained): weights read in
        place, in their dtype, on their device. `plain_template` None = plain only when there is no chat template."""
        self = cls.__new__(cls)
        self.path, self.revision, self.device_map, self.batch_size = IN_MEMORY, None, None, batch_size
        self.device = input_device(model)
        self.dtype = getattr(model, "dtype", None) or next(model.parameters()).dtype
        if plain_template is None:
            plain_template = not (getattr(processor, "chat_template", None)
                                  or getattr(processor.tokenizer, "chat_template", None))
        self._adopt(model, processor, plain_template, None, "left", None, prefix_sharing)
        return self

    def _adopt(self, model, processor, plain_template: bool, max_length: int | None, truncation: str,
               max_images: int | None, prefix_sharing: bool) -> None:
        """Everything the adapter derives from its model and processor (shared by both constructors)."""
        self.model, self.processor, self.tokenizer, self.truncation = model, processor, processor.tokenizer, truncation
        self.template, self.template_kind = self._pick_template(plain_template)
        self.window = int(max_length) if max_length is not None else hc.config_window(model, DEFAULT_WINDOW)
        self.capabilities = Capabilities(images=True, max_images=max_images, generate=True, attention=True,
                                         max_context=self.window, candidates=answer_format_of(model.config))
        self.pad_id = self._pad_id()
        self.truncated_requests = 0
        # Families not verified exact (or forwards without positions / cache) use the naive path; said in describe().
        self.sharing_note = sharing_support(model) if prefix_sharing else None
        self.prefix_sharing = prefix_sharing and self.sharing_note is None
        self.tally = TokenTally()

    # -- setup -------------------------------------------------------------------------------------------------

    def _pick_template(self, plain: bool) -> tuple[str, str]:
        if plain:
            token = getattr(self.processor, "image_token", None) or "<image>"
            return PLAIN_TEMPLATE.replace("IMAGE", token), "plain"
        text = getattr(self.processor, "chat_template", None) or getattr(self.tokenizer, "chat_template", None)
        if isinstance(text, dict):
            text = text.get("default")
        if not text:
            raise ModelError(f"the processor of {self.path} has no chat template; pass --model-args "
                             f"plain_template=true to use iitbench's plain 'User: ... / Assistant: ...' template, or "
                             f"add chat_template.jinja to the directory")
        return text, "chat"

    def _pad_id(self) -> int:
        for value in (self.tokenizer.pad_token_id, self.tokenizer.eos_token_id):
            if isinstance(value, int):
                return value
        return 0  # padded positions are masked and never scored

    # -- prompts -----------------------------------------------------------------------------------------------

    def render(self, messages: Sequence[Message]) -> str:
        """The prompt string for `messages`, ending where the assistant's reply begins."""
        try:
            return self.processor.apply_chat_template(hf_conversation(messages), chat_template=self.template, add_generation_prompt=True,
                                                      tokenize=False)
        except Exception as e:  # noqa: BLE001 - jinja errors (e.g. templates that reject a system role)
            raise ModelError(f"the {self.template_kind} template of {self.path} cannot render this dialogue: "
                             f"{' '.join(str(e).split())[:200]}; try --model-args plain_template=true") from None

    def apply_chat_template(self, chat_history: Sequence[dict[str, str]],
                            add_generation_prompt: bool = True) -> str | None:
        """A text chat as this adapter renders it (content lists, as `render`): what `forgetting` compares."""
        conv = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in chat_history]
        return self.processor.apply_chat_template(conv, chat_template=self.template, tokenize=False,
                                                  add_generation_prompt=add_generation_prompt)

    @staticmethod
    def images(messages: Sequence[Message]) -> tuple:
        """The images of `messages`, loaded, in order (what the processor gets with `render(messages)`)."""
        return tuple(ref.load() for m in messages for ref in m.images)

    def _ids(self, text: str, images: tuple) -> list[int]:
        """Token ids of `text` after image expansion (what the model reads)."""
        out = self.processor(text=[text], images=[list(images)] if images else None, add_special_tokens=False)
        return list(out["input_ids"][0])

    # -- scoring -----------------------------------------------------------------------------------------------

    def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
        rows: list[Row] = []
        seqs: list[ScoreSeq] = []
        owners: list[int] = []
        for r_index, req in enumerate(requests):
            self._check_images(req.key, req.messages)
            images = self.images(req.messages)
            prompt = self.render(req.messages)
            context_ids = self._ids(move_trailing_space(prompt, "")[0], images)
            truncated = False
            for choice in req.choices:
                ctx, cont = move_trailing_space(prompt, choice)
                full_ids = self._ids(ctx + cont, images)
                start = split_point(context_ids, full_ids)
                if start == 0 or start == len(full_ids):
                    raise ModelError(f"request {req.key}: candidate {choice!r} adds no tokens after the prompt; "
                                     f"check the choices")
                drop = self._drop(req.key, len(full_ids), bool(images), start)
                truncated |= drop > 0
                rows.append(Row(text=ctx + cont, images=images, length=len(full_ids), cont_start=start, drop=drop))
                seqs.append(ScoreSeq(ids=tuple(full_ids[drop:]), cont_start=start - drop))
                owners.append(r_index)
            self.truncated_requests += int(truncated)
        if self.prefix_sharing:
            scores = score_shared_vlm(self.model, self.processor, rows, seqs, owners, self.batch_size, self.pad_id,
                                      self.device, self.tally)
        else:
            tally_naive(seqs, owners, self.tally)
            scores = forward_scores(self.model, self.processor, rows, self.batch_size, self.device)
        per_request: list[list] = [[] for _ in requests]
        for owner, score in zip(owners, scores):
            per_request[owner].append(score)
        return [ChoiceResult(logliks=tuple(s.loglik for s in ss), n_tokens=tuple(s.n_tokens for s in ss))
                for ss in per_request]

    def _check_images(self, key: str, messages: Sequence[Message]) -> None:
        reason = self.accepts(messages)
        if reason is not None:
            raise ModelError(f"request {key}: {reason}; the runner should mark it not applicable")

    def _drop(self, key: str, n: int, has_images: bool, keep_from: int) -> int:
        """How many leading tokens to cut so `n` fits the window (only text-only dialogues may be cut)."""
        if n <= self.window:
            return 0
        drop = n - self.window
        if self.truncation == "error" or has_images or drop >= keep_from:
            why = ("a dialogue with images is never truncated" if has_images and self.truncation == "left"
                   else "pass --model-args truncation=left to drop the oldest tokens" if self.truncation == "error"
                   else "the answer alone does not fit")
            raise ModelError(f"request {key}: {n} tokens exceed the model window of {self.window} ({why}); "
                             f"pass a larger --model-args max_length if the model supports it")
        return drop

    # -- generation --------------------------------------------------------------------------------------------

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        rows: list[Row] = []
        moved: list[str] = []
        for req in requests:
            self._check_images(req.key, req.messages)
            images = self.images(req.messages)
            prompt, space = move_trailing_space(self.render(req.messages), "")
            n = len(self._ids(prompt, images))
            drop = self._drop(req.key, n + req.max_new_tokens, bool(images), n)
            self.truncated_requests += int(drop > 0)
            rows.append(Row(text=prompt, images=images, length=n, cont_start=n, drop=drop))
            moved.append(space)
        new_ids = generate_rows(self.model, self.processor, rows, [r.max_new_tokens for r in requests],
                                [r.stop for r in requests], self.batch_size, self.device, self.pad_id,
                                self._eos_ids())
        eos = set(self._eos_ids())
        out = []
        for req, ids, space in zip(requests, new_ids, moved):
            cut = next((k for k, t in enumerate(ids) if t in eos), len(ids))
            text = self.tokenizer.decode(ids[:cut], skip_special_tokens=True)
            if space and text.startswith(space):
                text = text[len(space):]
            cuts = [text.find(s) for s in req.stop if s and s in text]
            out.append(GenerateResult(text=text[:min(cuts)] if cuts else text))
        return out

    def _eos_ids(self) -> list[int]:
        return hc.eos_ids(self.tokenizer, getattr(self.model, "generation_config", None))

    # -- identity ----------------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            **self.weights_description(),
            "device_map": self.device_map,
            "chat_template_hash": hashlib.sha256(self.template.encode()).hexdigest(),
            "template": self.template_kind,
            "processor": type(self.processor).__name__,
            "max_context": self.window,
            "truncation": self.truncation,
            "truncated_requests": self.truncated_requests,
            "prefix_sharing": self.prefix_sharing,
            **({"prefix_sharing_note": self.sharing_note} if self.sharing_note else {}),
            **self.tally.to_json(),
        }
