"""Writes notebooks/write-an-adapter.ipynb: a new model in one class, registered, run through iitbench.api, checked.

Run: .venv/bin/python notebooks/make_write_an_adapter.py
"""

from nbgen import code, md, write

cells = [
    md("""
        # Write an adapter: your model in one class

        iitbench never formats a model's prompt. The runner hands an **adapter** structured requests (chat messages
        whose parts are text or images, plus the candidate answers) and takes back one log-likelihood per candidate.
        Everything model-specific (chat template, tokenisation, batching, devices) lives in the adapter, which is why
        one benchmark can compare a LLaVA, a WINGS and a text-only LLM on identical dialogues.

        The contract is `iitbench/models/protocol.py` (`iitbench/models/dummy.py` is the smallest complete example,
        README.md "Writing an adapter" the summary). An adapter subclasses `Adapter` and implements:

        - `score_choices(requests) -> results`: for each `ChoiceRequest` (`key`, `messages`, `choices`) a
          `ChoiceResult` with the summed log-likelihood of every candidate as the assistant's reply and its token
          count, in request order. **Results must not depend on how requests are batched.**
        - `generate(requests)` (optional): greedy replies, for free-running evaluation with generated answers;
        - `capabilities`: what it takes (images? how many? can it generate? which answer format was it trained on?).
          The runner marks requests the model cannot take as *not applicable* instead of sending them.

        This notebook writes one for a model iitbench has no adapter for (we pretend): a Hugging Face causal LM, using
        the weights of the zoo's `base-tiny`. Then it registers the class under a name, runs it through
        `iitbench.api.evaluate`, and checks it: batch-size independence, and agreement with the built-in
        `hf-causal` adapter on the same weights.
    """),
    code("""
        import os
        import tempfile
        from collections.abc import Sequence
        from pathlib import Path

        import numpy as np
        import pandas as pd
        import torch
        from transformers.utils import logging as hf_logging

        from iitbench import api
        from iitbench.models import (
            MODELS,
            Adapter,
            Capabilities,
            ChoiceRequest,
            ChoiceResult,
            GenerateRequest,
            GenerateResult,
        )
        from iitbench.zoo import WEIGHTS_DIR

        torch.set_num_threads(1)  # tiny models on a busy CPU: one thread is fastest (README.md, "Performance")
        hf_logging.disable_progress_bar()
        pd.set_option("display.width", 160)

        LIMIT = int(os.environ.get("IITBENCH_NB_LIMIT", "12"))  # dialogues per configuration
        OUT = Path(os.environ.get("IITBENCH_NB_OUT") or tempfile.mkdtemp(prefix="iitbench-adapter-"))
        data = api.build("synth", OUT / "data", configs="T,TT,TV", per_config=LIMIT, grouping="random", progress=False)
        print("outputs in", OUT, "|", data.card.counts_per_config)
    """),
    md("""
        ## 1. What the runner hands over

        The quickest way to see the requests is an adapter that only records them. It is also the smallest complete
        adapter: one method, every candidate equally likely (so it always predicts the first option).
    """),
    code("""
        class Spy(Adapter):
            capabilities = Capabilities(images=True)

            def __init__(self):
                self.seen = []

            def score_choices(self, requests):
                self.seen += requests
                return [ChoiceResult(logliks=tuple(0.0 for _ in r.choices), n_tokens=tuple(1 for _ in r.choices))
                        for r in requests]


        spy = Spy()
        api.evaluate(spy, data.root, limit=1, output=OUT / "runs" / "spy", progress=False)
        request = next(r for r in spy.seen if r.key.startswith("TV"))
        print("key:", request.key, "| choices:", request.choices)
        for m in request.messages:
            print(f"  {m.role:9} {m.parts}")
    """),
    md("""
        Each message is a role and its ordered parts: `TextPart(text=...)` and `ImageRef(root, path)` (call
        `.load()` for the RGB image). Context turns arrive already answered (here with the gold answer, the
        teacher-forced default) and the request ends with the user message whose reply is scored. The `key`
        (`item id#turn`) is unique within a run. There is no prompt string: the question, its options and the
        instruction are already worded in the message text (the runner's prompt format, the same for every model),
        and the adapter only wraps the messages in its own chat template. The `choices` are what gets scored: the
        option letters here, because `Spy` did not say otherwise (`Capabilities.candidates` defaults to "letter");
        a model that declares `candidates="text"` is asked to score the option texts, with an instruction to match.
    """),
    md("""
        ## 2. The adapter

        A causal LM scores a candidate as a continuation: render the dialogue with the model's chat template up to
        where the assistant's reply begins, append the candidate's tokens, and sum the log-probabilities of those
        tokens. The class below does that in one padded forward pass per `batch_size` sequences.

        Design points worth copying:

        - **Constructor arguments are `--model-args`**: `iitbench run --model tiny-lm --model-args batch_size=4`
          calls `TinyLM(batch_size=4)`; iitbench checks the values against the annotations (int, float, bool, str)
          and records them in `results.json`.
        - **`capabilities`**: `images=False` makes the runner mark every dialogue with an image as not applicable
          (the adapter never sees one); `candidates="text"` tells the runner this model answers with the option
          text, not its letter (what the zoo was trained on; most instruction-tuned models answer with the letter).
        - **Right padding with an attention mask**: in a causal model the padding after a sequence cannot affect it,
          so a sequence gets the same logits alone or in any batch (up to float rounding).
        - **`apply_chat_template`**: `iitbench forgetting` renders a probe dialogue with both models' adapters to
          check that an MLLM and its base LLM see the same prompts; an adapter with a template should expose it.
    """),
    code("""
        class TinyLM(Adapter):
            \"\"\"A Hugging Face causal LM scored by continuation log-likelihood (text only).\"\"\"

            name = "tiny-lm"
            capabilities = Capabilities(images=False, generate=True, candidates="text")

            def __init__(self, path: str = str(WEIGHTS_DIR / "base-tiny"), batch_size: int = 16):
                from transformers import AutoModelForCausalLM, AutoTokenizer

                self.tok = AutoTokenizer.from_pretrained(path)
                self.model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
                self.batch_size = batch_size
                self.pad = self.tok.pad_token_id if self.tok.pad_token_id is not None else 0

            def apply_chat_template(self, chat_history, add_generation_prompt=True):
                return self.tok.apply_chat_template(list(chat_history), add_generation_prompt=add_generation_prompt,
                                                    tokenize=False)

            def encode_prompt(self, messages) -> list[int]:
                prompt = self.apply_chat_template([{"role": m.role, "content": m.text} for m in messages])
                return self.tok(prompt, add_special_tokens=False)["input_ids"]

            @torch.no_grad()
            def loglik(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
                \"\"\"Summed log-probability of each answer's tokens after its context, batch_size sequences at a time.\"\"\"
                out = []
                for start in range(0, len(pairs), self.batch_size):
                    chunk = pairs[start:start + self.batch_size]
                    width = max(len(c) + len(a) for c, a in chunk)
                    ids = torch.full((len(chunk), width), self.pad)
                    mask = torch.zeros_like(ids)
                    for row, (c, a) in enumerate(chunk):  # right padding: real tokens first
                        ids[row, :len(c) + len(a)] = torch.tensor(c + a)
                        mask[row, :len(c) + len(a)] = 1
                    logp = self.model(input_ids=ids, attention_mask=mask).logits.float().log_softmax(-1)
                    for row, (c, a) in enumerate(chunk):  # the logits at position t predict token t + 1
                        at = torch.arange(len(c) - 1, len(c) + len(a) - 1)
                        out.append(float(logp[row, at, torch.tensor(a)].sum()))
                return out

            def score_choices(self, requests: Sequence[ChoiceRequest]) -> list[ChoiceResult]:
                pairs, counts = [], []
                for r in requests:
                    context = self.encode_prompt(r.messages)
                    answers = [self.tok(c, add_special_tokens=False)["input_ids"] for c in r.choices]
                    pairs += [(context, a) for a in answers]
                    counts.append(tuple(len(a) for a in answers))
                scores = iter(self.loglik(pairs))
                return [ChoiceResult(logliks=tuple(next(scores) for _ in n), n_tokens=n) for n in counts]

            @torch.no_grad()
            def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
                out = []
                for r in requests:
                    ids = torch.tensor([self.encode_prompt(r.messages)])
                    new = self.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                              max_new_tokens=r.max_new_tokens, pad_token_id=self.pad)[0, ids.shape[1]:]
                    text = self.tok.decode(new, skip_special_tokens=True)
                    cuts = [text.find(s) for s in r.stop if s and s in text]
                    out.append(GenerateResult(text=text[:min(cuts)] if cuts else text))
                return out
    """),
    md("""
        ## 3. Register it

        A name in the model registry (`iitbench.models.MODELS`) is what `--model` and `api.evaluate("NAME")` look up.
        In a session, register the class directly; `iitbench models` then lists it with its origin.
    """),
    code("""
        from iitbench.cli.main import main as iitbench

        MODELS.register("tiny-lm", TinyLM, origin="this notebook")
        assert iitbench(["models"]) == 0
    """),
    md("""
        **In a package**, declare the class under the entry-point group `iitbench.models` and every installed copy of
        iitbench finds it (no change to iitbench; `docs/plugin_example.md` is a complete, tested plug-in package):

        ```ini
        # setup.cfg
        [options.entry_points]
        iitbench.models =
            tiny-lm = my_package.adapter:TinyLM
        ```

        or, in `pyproject.toml`, `[project.entry-points."iitbench.models"]` with `tiny-lm = "my_package.adapter:TinyLM"`.
        A built-in name wins over a plug-in of the same name. **Pitfall:** registering a name twice with a different
        object raises `ValueError`, so re-running the class and register cells in one kernel fails; restart the
        kernel, or pass the instance itself (`api.evaluate(TinyLM(), ...)` needs no name at all).
    """),
    md("""
        ## 4. Run it

        Exactly as any built-in model. Image dialogues (`TV`) come back as not applicable: the runner never sent them.
    """),
    code("""
        mine = api.evaluate("tiny-lm", data.root, model_args={"batch_size": 16}, batch_size=8,
                            output=OUT / "runs" / "tiny-lm", progress=False)
        print(mine.table)
        print("recorded model:", {k: mine.results["model"][k] for k in ("name", "args", "fingerprint")})
    """),
    md("""
        The recorded fingerprint is the default one: a hash of the class and its arguments. An adapter that loads
        weights should override `fingerprint()` (or `describe()`) to hash them, so that two runs of different
        checkpoints under one name are never mistaken for each other (the built-in adapters do).

        ## 5. Check it

        **Batch-size independence.** The same requests scored one by one (the runner's `batch_size=1`, and one
        sequence per forward pass) must give the same predictions and the same log-likelihoods up to float rounding
        (iitbench's own adapters stay within 5e-5; README.md, "Reliability").
    """),
    code("""
        def max_gap(a, b):
            \"\"\"Largest |loglik difference| and prediction disagreements between two runs over their common turns.\"\"\"
            ra = {(r["id"], r["turn"]): r for r in a.samples() if r["status"] == "ok"}
            rb = {(r["id"], r["turn"]): r for r in b.samples() if r["status"] == "ok"}
            common = ra.keys() & rb.keys()
            gap = max(np.abs(np.subtract(ra[k]["loglik"], rb[k]["loglik"])).max() for k in common)
            return float(gap), sum(ra[k]["prediction"] != rb[k]["prediction"] for k in common), len(common)


        single = api.evaluate("tiny-lm", data.root, model_args={"batch_size": 1}, batch_size=1,
                              output=OUT / "runs" / "tiny-lm-batch1", progress=False)
        gap, disagree, n = max_gap(mine, single)
        print(f"batch 16 vs 1: max |Δ loglik| {gap:.1e}, {disagree} different predictions over {n} turns")
        assert gap < 5e-5 and disagree == 0
    """),
    md("""
        **What this check catches.** A classic mistake is a batch without its attention mask. With right padding it
        goes unnoticed (in a causal model the padding comes after the tokens that matter), but the same code with
        left padding, the usual choice for generation, lets every token attend to the padding before it, and the
        scores change with the batch. (Left padding *with* the mask would be fine for this model: its rotary position
        encoding only sees relative positions.) A subclass that pads on the left and forgets the mask:
    """),
    code("""
        class LeftPadded(TinyLM):
            @torch.no_grad()
            def loglik(self, pairs):
                out = []
                for start in range(0, len(pairs), self.batch_size):
                    chunk = pairs[start:start + self.batch_size]
                    width = max(len(c) + len(a) for c, a in chunk)
                    ids = torch.full((len(chunk), width), self.pad)
                    for row, (c, a) in enumerate(chunk):
                        ids[row, width - len(c) - len(a):] = torch.tensor(c + a)
                    logp = self.model(input_ids=ids).logits.float().log_softmax(-1)  # no attention_mask
                    for row, (_, a) in enumerate(chunk):  # every answer ends at the last column
                        at = torch.arange(width - len(a) - 1, width - 1)
                        out.append(float(logp[row, at, torch.tensor(a)].sum()))
                return out


        bad = {b: api.evaluate(LeftPadded(batch_size=b), data.root, batch_size=b,
                               output=OUT / "runs" / f"left-padded-{b}", progress=False) for b in (1, 16)}
        gap, disagree, n = max_gap(bad[1], bad[16])
        print(f"left padding, batch 16 vs 1: max |Δ loglik| {gap:.2f}, {disagree} different predictions over {n} turns")
        assert gap > 1e-3  # the check sees it, even where no prediction happens to flip on these few dialogues
    """),
    md("""
        **Against a reference.** When a trusted implementation exists, compare with it. The built-in `base-tiny` is
        the `hf-causal` adapter on the same weights; it splits context and answer tokens more carefully (byte-pair
        merges across the boundary, `iitbench/models/hf_loglik.py`) and reads each dialogue only once. On this
        tokenizer both must agree:
    """),
    code("""
        ref = api.evaluate("base-tiny", data.root, output=OUT / "runs" / "base-tiny", progress=False)
        gap, disagree, n = max_gap(mine, ref)
        print(f"tiny-lm vs built-in base-tiny: max |Δ loglik| {gap:.1e}, {disagree} different predictions over {n}")
        assert gap < 5e-5 and disagree == 0
    """),
    md("""
        ## 6. Generation

        `generate` is used by the free-running mode with generated answers: every turn is answered by the model, its
        reply becomes the context of the next turn, and the prediction is the option the reply names (its exact text
        here; when it names none, the scores decide). `response` is the raw reply:
    """),
    code("""
        free = api.evaluate("tiny-lm", data.root, mode="free-running", free_running_source="generate",
                            output=OUT / "runs" / "tiny-lm-generate", progress=False)
        frame = free.to_pandas("items")
        frame[frame["status"] == "ok"][["id", "turn", "scored", "response", "prediction", "gold", "correct"]].head(8)
    """),
    md("""
        ## Checklist for a new adapter

        - `score_choices` returns one result per request, in order, with one log-likelihood per choice; sums over
          the candidate's tokens (the runner's `acc_norm` divides by `n_tokens` itself).
        - The same request gives the same scores in any batch: test batch sizes 1 and N, as above.
        - Apply the model's own chat template; the request's text already holds the question and its options.
        - Declare what the model cannot take in `capabilities` (or override `accepts`), so those turns are counted as
          not applicable rather than scored wrong.
        - For LAWS (attention shift), also set `Capabilities(attention=True)` and implement `attention_mass`, or
          subclass a built-in `hf`, `hf-causal` or `wings` adapter (README.md, "Writing an adapter").
    """),
]

if __name__ == "__main__":
    write(cells, "write-an-adapter.ipynb")
