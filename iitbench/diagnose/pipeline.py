"""The diagnose run: the MLLM, then its base, one model in memory at a time (as `iitbench forgetting`).

1. MLLM: the text pass (answer-position logits for the output shift, per-layer answer states for CKA) into
   OUTPUT/work/mllm, then the mixing pass over image dialogues (mixing.json is written at once).
2. Base: its vocabulary and layer count decide which of output shift / CKA can be computed for the pair (a refusal
   is written as that predictor's result, the others go on); its text pass stores its states and computes each
   item's KL/JS against the MLLM's stored logits chunk by chunk; then CKA layer by layer and the weight drift from
   both models' safetensors files.
3. diagnose.json, CSVs, NPZ and plot are assembled from the predictor files (`assemble`).

Resume: finished predictor files are kept and their predictors skipped; work chunks are kept until every requested
predictor is done (then removed unless keep_work). OUTPUT/work/identity.json ties the chunks to the request and the
models' fingerprints; a changed request or model makes the chunks stale and they are recomputed. A predictor file
computed for another request or other weights is refused in one line (choose another --output).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iitbench.diagnose import access
from iitbench.diagnose.divergence import vocab_digest, vocab_relation
from iitbench.diagnose.files import WorkStore, read_json, remove_tree, write_json
from iitbench.diagnose.finish import finish_cka, finish_mixing, finish_shift, finish_weights, refused
from iitbench.diagnose.options import CKA, MIXING, OUTPUT_SHIFT, WEIGHT_DRIFT, DiagnoseOptions, NotComputable
from iitbench.errors import UserError

#: request keys (besides the models, seed and n_boot) each predictor depends on; weight drift needs no data.
PART_OF_IDENTITY = {OUTPUT_SHIFT: ("text", "limit", "candidates"), CKA: ("text", "limit", "candidates"),
                    MIXING: ("iit", "iit_limit", "candidates")}


@dataclass(frozen=True)
class Inputs:
    """Everything resolved before a model loads."""

    mllm: Any
    base: Any
    mllm_args: Any
    base_args: Any
    device: str | None
    text: Any  # the text dataset (LoadedDataset)
    iit: Any | None  # the IIT dataset, when mixing is requested
    out: Path


def _progress(total: int, desc: str, on: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="item", disable=not on, leave=False)


class Diagnose:
    """One run over `inputs` with `options`; `run()` returns the predictor results by name."""

    def __init__(self, inputs: Inputs, options: DiagnoseOptions, request: dict[str, Any]):
        self.inputs, self.options, self.request = inputs, options, request
        self.out, self.work = inputs.out, inputs.out / "work"
        self.results: dict[str, dict[str, Any]] = {}
        self.models: dict[str, dict[str, Any]] = {}
        self.prompts: list = []
        self.skipped = 0  # image items of the text dataset, left out (the base cannot take them)
        self.fmt = None
        self.prompt_format: dict[str, Any] = {}

    # -- identity --------------------------------------------------------------------------------------------

    def identity(self, predictor: str) -> dict[str, Any]:
        """What the predictor's numbers depend on: the request's relevant part and the models' fingerprints."""
        keep = {"mllm", "base", "seed", "n_boot", *PART_OF_IDENTITY.get(predictor, ())}
        fingerprints = {role: m.get("fingerprint") for role, m in self.models.items()}
        return {k: self.request[k] for k in sorted(keep)} | {"fingerprints": fingerprints}

    def pending(self) -> list[str]:
        """The requested predictors without a finished file (finished ones are read into `results`)."""
        todo = []
        for p in self.options.predictors:
            found = read_json(self.out / f"{p}.json")
            if found is None:
                todo.append(p)
                continue
            mine = {k: v for k, v in self.identity(p).items() if k != "fingerprints"}
            theirs = {k: v for k, v in (found.get("identity") or {}).items() if k != "fingerprints"}
            if mine != theirs:
                changed = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
                raise UserError(f"--output {self.out}: holds a diagnose ({p}.json) made with other settings "
                                f"({', '.join(changed)}); choose another --output or delete it")
            self.results[p] = found
        return todo

    def _check_fingerprint(self, role: str, fingerprint: str) -> None:
        for p, found in self.results.items():
            seen = ((found.get("identity") or {}).get("fingerprints") or {}).get(role)
            if seen is not None and seen != fingerprint:
                raise UserError(f"--output {self.out}: {p}.json was computed with other weights for the {role} "
                                f"(fingerprint {seen[:12]}, now {fingerprint[:12]}); choose another --output or "
                                f"delete it")
        state = read_json(self.work / "identity.json") or {}
        if state.get("request") != self.request or state.get("fingerprints", {}).get(role, fingerprint) != fingerprint:
            remove_tree(self.work)  # stale chunks: another request or other weights
            state = {"request": self.request, "fingerprints": {}}
        state["fingerprints"][role] = fingerprint
        write_json(self.work / "identity.json", state)

    def _write(self, predictor: str, result: dict[str, Any]) -> None:
        """Record the predictor's result with the models and prompt format it was computed with."""
        result = {**result, "models": dict(self.models), "prompt": self.prompt_format}
        if predictor in (OUTPUT_SHIFT, CKA):
            result["skipped_image_items"] = self.skipped
        write_json(self.out / f"{predictor}.json", result)
        self.results[predictor] = result

    # -- phases ----------------------------------------------------------------------------------------------

    def _load(self, role: str):
        from iitbench.api.models import resolve_model

        model, args = (self.inputs.mllm, self.inputs.mllm_args) if role == "mllm" else \
            (self.inputs.base, self.inputs.base_args)
        resolved = resolve_model(model, args, self.inputs.device)
        family = access.family_of(resolved.adapter, "model" if role == "mllm" else "base")
        info = access.model_info(resolved.adapter, family)
        fingerprint = resolved.adapter.fingerprint()
        self.models[role] = {"name": resolved.spec, "args": resolved.args, "fingerprint": fingerprint,
                             **info.to_json()}
        self._check_fingerprint(role, fingerprint)
        return resolved, family, info

    def run(self) -> dict[str, dict[str, Any]]:
        todo = self.pending()
        text = [p for p in (OUTPUT_SHIFT, CKA) if p in todo]
        if todo:
            mllm_weights = self._mllm_phase(todo, text)
            self._base_phase(todo, text, mllm_weights)
        if not self.options.keep_work and all(p in self.results for p in self.options.predictors):
            remove_tree(self.work)
        return self.results

    def _mllm_phase(self, todo: list[str], text: list[str]):
        from iitbench.diagnose.mixing import run_mixing_pass
        from iitbench.diagnose.prompts import image_requests, text_prompts
        from iitbench.diagnose.textpass import TextPass, run_text_pass
        from iitbench.diagnose.weights import ModuleWeights, weight_source
        from iitbench.models.protocol import Adapter
        from iitbench.runner.render import PromptFormat

        o = self.options
        resolved, family, info = self._load("mllm")
        adapter = resolved.adapter
        chosen = o.candidates or self.inputs.text.card.build.get("candidates") or adapter.capabilities.candidates
        self.fmt = PromptFormat.for_candidates(chosen)
        self.prompt_format = {"candidates": chosen, "prompt_hash": self.fmt.hash}
        if text:
            self.prompts, self.skipped = text_prompts(self.inputs.text, o.limit, self.fmt)
            with _progress(len(self.prompts), "MLLM text", o.progress) as bar:
                run_text_pass(adapter, family, info, self.prompts, WorkStore(self.work / "mllm"),
                              TextPass(logits=OUTPUT_SHIFT in text, states=CKA in text), o.batch_size, bar)
            vocab = access.tokenizer_of(adapter, family).get_vocab()
            width = (WorkStore(self.work / "mllm").meta(0) or {}).get("width")
            self.mllm_vocab = {"vocab": vocab, "width": width, "digest": vocab_digest(vocab)}
        if MIXING in todo:
            self._mixing(adapter, family, info, image_requests, run_mixing_pass)
        weights = weight_source(adapter, family)
        if weights is None and isinstance(self.inputs.mllm, Adapter):  # the caller's live model: read in place
            weights = ModuleWeights(adapter.model)
        self.mllm_info = info
        if not isinstance(self.inputs.mllm, Adapter):
            del resolved, adapter
            gc.collect()
        return weights

    def _mixing(self, adapter, family, info, image_requests, run_mixing_pass) -> None:
        from iitbench.runner.render import PromptFormat

        o = self.options
        fmt = self.fmt if not self.fmt.is_cloze else PromptFormat.for_candidates(adapter.capabilities.candidates)
        requests = image_requests(self.inputs.iit, o.iit_limit, fmt)
        try:
            if not requests:
                raise NotComputable(f"the IIT suite {self.inputs.iit.root} has no dialogue with an image")
            with _progress(len(requests), "MLLM mixing", o.progress) as bar:
                run_mixing_pass(adapter, family, requests, info.n_layers, WorkStore(self.work / "mixing"),
                                o.batch_size, bar)
            result = finish_mixing(requests, info.n_layers, WorkStore(self.work / "mixing"), self.identity(MIXING),
                                   o.n_boot, o.seed)
            if not result["n_used"]:
                raise NotComputable(f"no dialogue has both image tokens and content text ({result['excluded']})")
        except NotComputable as e:
            result = refused(MIXING, str(e), self.identity(MIXING))
        self._write(MIXING, result)

    def _base_phase(self, todo: list[str], text: list[str], mllm_weights) -> None:
        from iitbench.diagnose.textpass import TextPass, run_text_pass
        from iitbench.diagnose.weights import ModuleWeights, weight_drift, weight_source
        from iitbench.models.protocol import Adapter

        o = self.options
        if not text and WEIGHT_DRIFT not in todo:
            return
        resolved, family, info = self._load("base")
        adapter = resolved.adapter
        mllm_store, base_store = WorkStore(self.work / "mllm"), WorkStore(self.work / "base")
        shift_ok = cka_ok = False
        if OUTPUT_SHIFT in text:
            try:
                base_vocab = access.tokenizer_of(adapter, family).get_vocab()
                vocab = vocab_relation(self.mllm_vocab["vocab"], base_vocab, int(self.mllm_vocab["width"]),
                                       _output_width(adapter))
                vocab |= {"mllm_vocab_sha256": self.mllm_vocab["digest"], "base_vocab_sha256": vocab_digest(base_vocab)}
                shift_ok = True
            except NotComputable as e:
                self._write(OUTPUT_SHIFT, refused(OUTPUT_SHIFT, str(e), self.identity(OUTPUT_SHIFT)))
        if CKA in text:
            if info.n_layers != self.mllm_info.n_layers:
                self._write(CKA, refused(CKA, f"the layer counts differ (MLLM {self.mllm_info.n_layers}, base "
                                              f"{info.n_layers}), so layers cannot be paired", self.identity(CKA)))
            else:
                cka_ok = True
        if shift_ok or cka_ok:
            with _progress(len(self.prompts), "base text", o.progress) as bar:
                run_text_pass(adapter, family, info, self.prompts, base_store,
                              TextPass(logits=False, states=cka_ok, against=mllm_store if shift_ok else None),
                              o.batch_size, bar)
        if shift_ok:
            self._write(OUTPUT_SHIFT, finish_shift(self.prompts, mllm_store, base_store, vocab,
                                                   self.identity(OUTPUT_SHIFT), o.n_boot, o.seed))
        if cka_ok:
            with _progress(info.n_layers, "CKA layers", o.progress) as bar:
                self._write(CKA, finish_cka(self.prompts, info.n_layers, mllm_store, base_store,
                                            self.identity(CKA), bar))
        if WEIGHT_DRIFT in todo:
            base_weights = weight_source(adapter, family)
            if base_weights is None and isinstance(self.inputs.base, Adapter):
                base_weights = ModuleWeights(adapter.model)
            try:
                if mllm_weights is None or base_weights is None:
                    role = "MLLM" if mllm_weights is None else "base"
                    raise NotComputable(f"the {role}'s weights are neither in safetensors files in a local directory "
                                        f"nor a live model passed to the API")
                found = weight_drift(mllm_weights, base_weights, self.mllm_info.n_layers, info.n_layers,
                                     info.tied_embeddings)
                self._write(WEIGHT_DRIFT, finish_weights(found, self.identity(WEIGHT_DRIFT)))
            except NotComputable as e:
                self._write(WEIGHT_DRIFT, refused(WEIGHT_DRIFT, str(e), self.identity(WEIGHT_DRIFT)))
        self.base_info = info


def _output_width(adapter) -> int:
    """The base's logits width (its LM head's rows)."""
    head = adapter.model.get_output_embeddings()
    if head is None or not hasattr(head, "weight"):
        return int(access.text_config(adapter.model).vocab_size)
    return int(head.weight.shape[0])


__all__ = ["Diagnose", "Inputs"]
