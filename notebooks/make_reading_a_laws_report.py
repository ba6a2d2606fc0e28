"""Writes notebooks/reading-a-laws-report.ipynb: MLLM-LAWS curves, the attention-shift score and its CI, the analysis
choices and how they move the number, and a comparison of two models' shifts.

Run: .venv/bin/python notebooks/make_reading_a_laws_report.py
"""

from nbgen import code, md, write

cells = [
    md("""
        # Reading a LAWS report

        The WINGS paper (Zhang et al., NeurIPS 2024, arXiv:2406.03496, section 3) explains text-only forgetting with
        **MLLM-LAWS** (layer-level attention weights): for a dialogue with an image, how much attention each layer
        gives to the text *before* the image, to the image, and to the text *after* it. In a model that forgets, the
        paper argues, attention to the text after the image no longer follows the layer pattern of attention to the
        text before it: an **attention shift**. iitbench measures both (`iitbench laws`, `api.attention_shift`;
        README.md, "MLLM-LAWS and the attention shift"; code in `iitbench/laws/`).

        This notebook runs LAWS on `wings-tiny` and `llava-tiny` and reads the result: the curves, the shift score and
        what its confidence interval covers, the analysis choices and which of them can move the number, and how to
        compare two models. `LIMIT` scales the number of dialogues; the test suite uses a small one, so read the
        numbers below as an illustration and `leaderboards/zoo_laws.md` (100 dialogues per model) for the zoo's values.
    """),
    code("""
        import json
        import os
        import tempfile
        from pathlib import Path

        import matplotlib.pyplot as plt
        import numpy as np
        import pandas as pd
        import torch
        from IPython.display import Image, display

        from iitbench import api

        torch.set_num_threads(1)  # tiny models on a busy CPU: one thread is fastest (README.md, "Performance")
        pd.set_option("display.width", 160)

        LIMIT = int(os.environ.get("IITBENCH_NB_LIMIT", "12"))
        N = 3 * LIMIT  # image dialogues per LAWS run
        OUT = Path(os.environ.get("IITBENCH_NB_OUT") or tempfile.mkdtemp(prefix="iitbench-laws-"))
        MLLMS = ["wings-tiny", "llava-tiny"]
        print("outputs in", OUT, "| dialogues per model:", N)
    """),
    md("""
        ## 1. Run LAWS

        `api.attention_shift(model, "iit", limit=N)` takes the scored turn of the first `N` dialogues with an image in
        the `iit` suite (earlier turns answered with the gold answer), renders it as the model would see it, labels
        every token (text before the image, image, text after it, template "other", ...) and records, per layer, the
        attention mass all query tokens send to each segment. It writes `laws.npz` (per-sample masses),
        `laws_summary.json` (curves, shift, settings) and `laws_curves.png`.
    """),
    code("""
        laws = {m: api.attention_shift(m, "iit", limit=N, output=OUT / f"laws-{m}") for m in MLLMS}
        pd.DataFrame({m: r.shift for m, r in laws.items()}).T
    """),
    code("""
        for m in MLLMS:
            print(m)
            display(Image(filename=str(OUT / f"laws-{m}" / "laws_curves.png")))
    """),
    md("""
        ## 2. The curves

        Each curve is the mean over dialogues of one segment's attention mass per layer, with a bootstrap 95% band.
        By default the mass is summed over heads and over all query tokens, so its *level* grows with the number of
        tokens attending and attended: the text before the image (the whole earlier dialogue) gets far more than the
        few tokens after it. **Do not read the levels.** The shift compares *shapes* over layers only.
    """),
    code("""
        for m in MLLMS:
            layers = laws[m].to_pandas("layers").pivot(index="layer", columns="segment", values="mean").round(1)
            tokens = laws[m].summary["mean_token_counts"]
            print(f"{m}: mean tokens per segment: before {tokens['before']:.0f}, image {tokens['image']:.0f}, "
                  f"after {tokens['after']:.0f}, other {tokens['other']:.0f}")
            display(layers)
    """),
    md("""
        ## 3. The shift score, by hand

        For each dialogue, ρ is the Pearson correlation over layers between its *before* curve and its *after* curve;
        the sample's shift is 1 − ρ (0: the same layer profile; 1: unrelated; 2: opposite). The score is the mean over
        dialogues, and its CI a percentile bootstrap over dialogues. Recomputing it from the per-sample masses
        (`to_pandas("samples")`) reproduces the summary exactly, which is the best way to be sure what a number means:
    """),
    code("""
        def per_sample_shift(result):
            \"\"\"{sample key: 1 - rho(before, after)} from the per-sample masses, in the order of laws.npz.\"\"\"
            s = result.to_pandas("samples")
            s = s[s["excluded"].isna()]
            keys = list(dict.fromkeys(s["key"]))
            curve = {label: s[s["label"] == label].pivot(index="key", columns="layer", values="mass").loc[keys]
                     for label in ("before", "after")}
            rho = [np.corrcoef(b, a)[0, 1] for b, a in zip(curve["before"].to_numpy(), curve["after"].to_numpy())]
            return pd.Series(1 - np.array(rho), index=keys).dropna()  # a flat curve has no rho (n_undefined)


        def bootstrap(values, n_boot=1000, seed=0):
            \"\"\"Percentile 95% CI of the mean, drawn exactly as iitbench.laws.curves.shift_score draws it.\"\"\"
            values = np.asarray(values)
            rng = np.random.default_rng(seed)
            boots = values[rng.integers(0, values.size, size=(n_boot, values.size))].mean(axis=1)
            return np.percentile(boots, [2.5, 97.5])


        per = {m: per_sample_shift(laws[m]) for m in MLLMS}
        for m in MLLMS:
            lo, hi = bootstrap(per[m])
            print(f"{m}: shift recomputed by hand {per[m].mean():.4f} [{lo:.4f}, {hi:.4f}] over {per[m].size} dialogues;"
                  f" summary {laws[m].shift['value']:.4f} [{laws[m].shift['lo']:.4f}, {laws[m].shift['hi']:.4f}]")
            assert np.isclose(per[m].mean(), laws[m].shift["value"]) and np.allclose([lo, hi],
                                                                                    [laws[m].shift["lo"],
                                                                                     laws[m].shift["hi"]])
    """),
    code("""
        fig, ax = plt.subplots(figsize=(6, 2.6))
        ax.hist([per[m] for m in MLLMS], bins=np.linspace(0, 2, 21), label=MLLMS)
        ax.set_xlabel("1 − ρ(before, after) per dialogue")
        ax.set_ylabel("dialogues")
        ax.legend()
        plt.show()
    """),
    md("""
        **What the CI means.** `[lo, hi]` says how much the score would move if the same model were measured on
        another draw of dialogues *of the same kind*: it is sampling uncertainty over dialogues, nothing else. It does
        not cover another training seed of the model (the zoo's seeds differ by more than these intervals; see
        `leaderboards/zoo.md`), another suite or prompt format, or the analysis choices of the next section. `n` is the
        number of dialogues used; `n_undefined` those whose before or after curve is flat over layers (no ρ).

        **Pitfall: four layers.** The zoo models have 4 layers, so each ρ is a correlation of 4 points: single
        dialogues swing across most of [0, 2] (the histogram) and the mean needs many dialogues before its CI is
        narrow. Deeper models give each ρ more layers to rest on (`iitbench/zoo/deep.py` builds a 12-layer family).
    """),
    md("""
        ## 4. Analysis choices, and which of them move the number

        | option | values | what it changes |
        |---|---|---|
        | `head_reduction` | `sum` (default, as the official router sums heads) / `mean` | masses × 1/heads |
        | `per_query_norm` | `False` / `True` | each sample's masses ÷ its number of query tokens |
        | `segments` | `content` (message text only) / `all-text` | whether template tokens (role tags, system prompt, newlines) count as text before/after |
        | `sinks` | `include` / `exclude` | attention sinks (the first token, and any token taking ≥ 20% of a layer's mass in half the layers) leave their segment |

        The first two multiply every layer of a sample by the same constant, and a correlation does not change when
        one of its variables is scaled: they **cannot** move the shift (they do change curve levels, which matters
        when you compare levels across models with different head counts or prompt lengths). The last two change
        which tokens are in a segment, so they **can**. Each variant is a separate run:
    """),
    code("""
        VARIANTS = {"mean": {"head_reduction": "mean"}, "pq": {"per_query_norm": True},
                    "all-text": {"segments": "all-text"}, "no-sinks": {"sinks": "exclude"},
                    "all-text-no-sinks": {"segments": "all-text", "sinks": "exclude"}}
        rows = []
        for m in MLLMS:
            runs = {"default": laws[m]}
            runs.update({name: api.attention_shift(m, "iit", limit=N, output=OUT / f"laws-{m}-{name}", **options)
                         for name, options in VARIANTS.items()})
            for name, r in runs.items():
                tokens = r.summary["mean_token_counts"]
                rows.append({"model": m, "variant": name, "shift": r.shift["value"], "lo": r.shift["lo"],
                             "hi": r.shift["hi"], "n": r.shift["n"], "tokens before": tokens["before"],
                             "tokens after": tokens["after"], "sink tokens": tokens["sink"]})
        variants = pd.DataFrame(rows)
        variants.round(4)
    """),
    code("""
        same = variants[variants["variant"].isin(["default", "mean", "pq"])].groupby("model")["shift"].agg(np.ptp)
        print("largest difference between default, mean and pq, per model:", same.to_dict())
        assert (same < 1e-9).all()
    """),
    md("""
        **How to read the table.**

        - `mean` and `pq` give the default's shift to the last digit, as they must.
        - `all-text` adds the template's tokens to the text segments (see the token counts) and moves the shift:
          the number depends on what you call "text". Neither choice is wrong; a claim about the shift should hold
          under both.
        - `no-sinks` with content segments usually changes nothing: the first token belongs to the template
          ("other"), so no content token is a sink. With `all-text` the first token is text before the image, and
          excluding it can move the shift (compare `all-text` with `all-text-no-sinks`).
        - Check whether the two models keep their order under every variant. A comparison that flips with the
          segment choice is not a finding about the models.

        A study runs the variants that can matter side by side (`iitbench study`, `laws:` in
        `leaderboards/studies/deep-zoo.yaml`; `reproduction-study.ipynb`).
    """),
    md("""
        ## 5. Comparing models

        `api.compare_shifts` overlays the models' curves and, given one forgetting directory per model, plots shift
        against the text-accuracy change (`iitbench laws --compare DIR... --forgetting FDIR...`). The forgetting runs
        use the whole text suite (350 questions, seconds with these models).
    """),
    code("""
        fg = {m: api.forgetting(m, "base-tiny", suite="text", output=OUT / f"forgetting-{m}", progress=False)
              for m in MLLMS}
        cmp = api.compare_shifts([OUT / f"laws-{m}" for m in MLLMS], OUT / "compare",
                                 forgetting_dirs=[OUT / f"forgetting-{m}" for m in MLLMS])
        print("Pearson r(shift, text delta):", cmp.pearson)
        display(cmp.to_pandas().drop(columns="dir"))
        display(Image(filename=str(OUT / "compare" / "laws_compare.png")))
    """),
    md("""
        **Pitfall: two models are not a correlation.** With two points any line fits, so `pearson` is `None` (it needs
        at least 3 models, and a useful CI needs many more: `leaderboards/zoo_laws.md` uses 15).

        **Are the two shifts different?** Overlapping intervals are not the right test: both models were measured on
        the *same* dialogues, so compare them pair by pair and bootstrap the mean of the per-dialogue differences.
    """),
    code("""
        both = pd.concat(per, axis=1).dropna()
        diff = both["llava-tiny"] - both["wings-tiny"]
        lo, hi = bootstrap(diff)
        verdict = "different" if lo > 0 or hi < 0 else "not distinguishable on these dialogues"
        print(f"shift llava-tiny − wings-tiny, paired over {len(diff)} dialogues: {diff.mean():+.3f} "
              f"[{lo:+.3f}, {hi:+.3f}] → {verdict}")
        (OUT / "compare" / "paired_difference.json").write_text(
            json.dumps({"difference": [float(diff.mean()), float(lo), float(hi)], "n": int(len(diff))}))
    """),
    md("""
        ## What to take away

        - The shift compares layer *profiles*; curve levels depend on token counts and on the head/query scaling.
        - Its CI is over dialogues only: seeds, suites and analysis choices need their own runs.
        - Head reduction and per-query normalisation cannot change it; segments and sinks can, so report both.
        - Compare models on the same dialogues, paired; correlate shift with forgetting only over many models.
          On the zoo, the sign of that correlation is not the paper's (`leaderboards/zoo_laws.md`): at toy scale the
          shift does not track forgetting reliably, and the LLM's learning rate does (`leaderboards/zoo.md`).
    """),
]

if __name__ == "__main__":
    write(cells, "reading-a-laws-report.ipynb")
