"""`IitbenchLM`: any iitbench adapter as an lm-eval model, registered in lm-eval's model registry as "iitbench".

    lm = IitbenchLM(model="hf-causal:DIR", plain_template=True)   # or IitbenchLM(adapter=already_loaded)
    simple_evaluate(model=lm, tasks=[...], task_manager=TaskManager(include_path=...))

From the command line: `python -m iitbench.lmeval run --model iitbench --model_args model=hf-causal:DIR ...` (lm-eval
0.4.13 finds models only in its own table or through `@register_model` at import time, and has no plug-in entry
point, so the plain `lm_eval` command cannot see this class; `python -m iitbench.lmeval` is lm-eval's own CLI with
it registered).

Requests map onto the adapter's raw-text methods (no chat template unless lm-eval applies one through
`--apply_chat_template`, which calls the adapter's `apply_chat_template`):
  loglikelihood         -> `Adapter.score_text` (is_greedy from the adapter)
  loglikelihood_rolling -> `score_text` with an empty context: the whole text, conditioned on BOS/EOS, in one
                           window. Texts longer than the window are NOT chunked: hf-causal raises a ModelError.
  generate_until        -> `Adapter.generate_text` (greedy; sampling kwargs are refused)
Requests go to the adapter `batch_size` at a time (lm-eval's --batch_size; "auto" = 64), longest first;
loglikelihood requests go `batch_size` CONTEXTS at a time, each with all its continuations, so a prefix-sharing
adapter (hf-causal) reads every context once. Scores do not depend on it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import lm_eval.models  # noqa: F401 - fills lm-eval's registry first: get_model() only imports it while empty,
from lm_eval.api.model import LM  # so registering "iitbench" into an empty registry would hide "hf" & co.
from lm_eval.api.registry import register_model

from iitbench.errors import ModelError
from iitbench.models.protocol import Adapter, TextGenerateRequest, TextScoreRequest

log = logging.getLogger(__name__)
DEFAULT_BATCH = 64
DEFAULT_MAX_GEN_TOKS = 256
T = TypeVar("T")
R = TypeVar("R")


def _batch_size(value: Any) -> int:
    if value is None or (isinstance(value, str) and value.startswith("auto")):
        return DEFAULT_BATCH
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ModelError(f"batch_size={value!r}: give a positive integer or auto") from None
    if n < 1:
        raise ModelError(f"batch_size={value!r}: give a positive integer or auto")
    return n


def _adapter_device(device: str | None) -> str | None:
    """lm-eval's --device (its CLI default is cuda:0 even without a GPU) -> iitbench's cpu | cuda | auto."""
    if device is None or device in ("cpu", "auto"):
        return device
    if device.startswith("cuda"):
        return "auto"  # cuda when there is one, else cpu, as lm-eval's HFLM falls back
    raise ModelError(f"--device {device}: the iitbench lm-eval model takes cpu or cuda")


@register_model("iitbench")
class IitbenchLM(LM):
    """An iitbench adapter behind lm-eval's `LM` interface.

    `model` is an iitbench model name (`hf-causal:DIR`, `dummy`, `random`, ...); every other keyword that lm-eval does
    not own is passed to the adapter (`--model_args model=hf-causal:DIR,plain_template=true`). `adapter` wraps an
    adapter that is already loaded instead (`iitbench run --suite lm-eval:...` does this).
    """

    def __init__(self, model: str | None = None, adapter: Adapter | None = None, batch_size: Any = None,
                 max_batch_size: Any = None, device: str | None = None, max_gen_toks: int = DEFAULT_MAX_GEN_TOKS,
                 **adapter_args: Any):
        super().__init__()
        if (model is None) == (adapter is None):
            raise ModelError("iitbench lm-eval model: give exactly one of model=NAME (e.g. "
                             "--model_args model=hf-causal:DIR) or an adapter object")
        if adapter is None:
            from iitbench.models import load_model, with_device

            adapter = load_model(str(model), with_device(str(model), dict(adapter_args), _adapter_device(device)))
        elif adapter_args:
            raise ModelError(f"iitbench lm-eval model: adapter arguments {sorted(adapter_args)} given with a "
                             f"loaded adapter; pass them when loading it")
        self.adapter = adapter
        self.spec = str(model) if model is not None else getattr(adapter, "spec", type(adapter).__name__)
        self.batch_size = _batch_size(batch_size)
        self.max_gen_toks = int(max_gen_toks)
        self._device = getattr(adapter, "device", "cpu")

    # -- batching ----------------------------------------------------------------------------------------------

    def _batched(self, items: Sequence[T], size: Callable[[T], int], call: Callable[[list[T]], list[R]],
                 group: Callable[[T], Any] | None = None) -> list[R]:
        """Call the adapter on chunks of `batch_size`, longest first (little padding); results in input order.
        With `group` (loglikelihood: the context), a chunk holds `batch_size` groups with all their requests, so a
        prefix-sharing adapter reads each context once per call."""
        if group is None:
            order = sorted(range(len(items)), key=lambda i: (-size(items[i]), i))
            chunks = [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        else:
            members: dict[Any, list[int]] = {}
            for i, item in enumerate(items):
                members.setdefault(group(item), []).append(i)
            groups = sorted(members.values(), key=lambda m: (-max(size(items[i]) for i in m), m[0]))
            chunks = [[i for m in groups[s:s + self.batch_size] for i in m]
                      for s in range(0, len(groups), self.batch_size)]
        out: list[R | None] = [None] * len(items)
        for chunk in chunks:
            results = call([items[i] for i in chunk])
            if len(results) != len(chunk):
                raise ModelError(f"{type(self.adapter).__name__} returned {len(results)} results for {len(chunk)} "
                                 f"requests")
            for i, r in zip(chunk, results):
                out[i] = r
        return out  # type: ignore[return-value]

    # -- lm-eval request types ---------------------------------------------------------------------------------

    def loglikelihood(self, requests, disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        reqs = [TextScoreRequest(key=f"ll-{i}", context=r.args[0], continuation=r.args[1])
                for i, r in enumerate(requests)]
        scores = self._batched(reqs, lambda r: len(r.context) + len(r.continuation), self.adapter.score_text,
                               group=lambda r: r.context)
        out = [(float(s.loglik), bool(s.is_greedy)) for s in scores]
        for req, res in zip(requests, out):
            self.cache_hook.add_partial("loglikelihood", req.args, res)
        return out

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False) -> list[float]:
        reqs = [TextScoreRequest(key=f"roll-{i}", context="", continuation=r.args[0]) for i, r in enumerate(requests)]
        scores = self._batched(reqs, lambda r: len(r.continuation), self.adapter.score_text)
        out = [float(s.loglik) for s in scores]
        for req, res in zip(requests, out):
            self.cache_hook.add_partial("loglikelihood_rolling", req.args, res)
        return out

    def generate_until(self, requests, disable_tqdm: bool = False) -> list[str]:
        reqs = [self._generation_request(i, r.args[0], r.args[1]) for i, r in enumerate(requests)]
        results = self._batched(reqs, lambda r: len(r.prompt), self.adapter.generate_text)
        out = [r.text for r in results]
        for req, res in zip(requests, out):
            self.cache_hook.add_partial("generate_until", req.args, res)
        return out

    def _generation_request(self, i: int, context: str, gen_kwargs: dict[str, Any]) -> TextGenerateRequest:
        kwargs = dict(gen_kwargs or {})
        if kwargs.get("do_sample") and float(kwargs.get("temperature", 1.0) or 0.0) > 0:
            raise ModelError("the iitbench lm-eval model generates greedily; the task asks for sampling "
                             "(do_sample=true); pass --gen_kwargs do_sample=false")
        until = kwargs.get("until") or ()
        until = (until,) if isinstance(until, str) else tuple(until)
        return TextGenerateRequest(key=f"gen-{i}", prompt=context, until=until,
                                   max_new_tokens=int(kwargs.get("max_gen_toks", self.max_gen_toks)))

    # -- chat templates ----------------------------------------------------------------------------------------

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
        text = self.adapter.apply_chat_template(chat_history, add_generation_prompt=add_generation_prompt)
        if text is None:
            raise NotImplementedError(f"{type(self.adapter).__name__} has no chat template; run without "
                                      f"--apply_chat_template")
        return text

    @property
    def tokenizer_name(self) -> str:
        """Names lm-eval's request cache: the model spec and its chat template hash (file-name safe)."""
        template = self.adapter.describe().get("chat_template_hash") or "none"
        return re.sub(r"[^A-Za-z0-9._-]+", "__", f"iitbench-{self.spec}-{template[:16]}")

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        template = getattr(self.adapter, "template", None)
        return template if isinstance(template, str) else ""

    def get_model_info(self) -> dict[str, Any]:
        """Merged into lm-eval's results["config"]: which iitbench adapter ran."""
        return {"iitbench_model": self.spec, "iitbench_model_info": self.adapter.describe()}
