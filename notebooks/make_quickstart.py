"""Writes notebooks/quickstart.ipynb: build IIT-synth, run a zoo model, read the results as pandas DataFrames.

Run: .venv/bin/python notebooks/make_quickstart.py
"""

from nbgen import code, md, write

cells = [
    md("""
        # Quickstart: from a dataset to DataFrames

        This notebook is the shortest complete tour of iitbench's Python API (`iitbench.api`, see README.md,
        "Python API"):

        1. build a small **IIT-synth** dataset (interleaved image–text, multi-turn, multiple-choice dialogues);
        2. run a model of the shipped zoo on it and read the accuracy per configuration;
        3. look at the per-item records behind those numbers;
        4. compare the three zoo models, then measure **text forgetting**: an MLLM against the LLM it was built from.

        Every call writes the same files as the matching `iitbench` command (`build`, `run`, `forgetting`), so what
        you do here and what the CLI does can be mixed freely. The zoo models are tiny (about 1.6M parameters, shipped
        in `iitbench/zoo/weights/`) and run on a CPU in seconds. `LIMIT` sets the number of dialogues per
        configuration; the test suite runs this notebook with a small one.
    """),
    code("""
        import os
        import tempfile
        from pathlib import Path

        import pandas as pd
        import torch
        from IPython.display import Markdown, display

        from iitbench import api

        torch.set_num_threads(1)  # tiny models on a busy CPU: one thread is fastest (README.md, "Performance")
        pd.set_option("display.width", 160)
        pd.set_option("display.max_columns", 20)

        LIMIT = int(os.environ.get("IITBENCH_NB_LIMIT", "12"))  # dialogues per configuration
        OUT = Path(os.environ.get("IITBENCH_NB_OUT") or tempfile.mkdtemp(prefix="iitbench-quickstart-"))
        print("outputs in", OUT)
    """),
    md("""
        ## 1. Build a dataset

        A dialogue's **configuration** spells its turns: `T` is a text question, `V` a question about an image. Only
        the **last** turn is scored; the earlier ones are context (in the default teacher-forced mode they are
        answered with their gold answer). So `T` and `V` are single questions, `TT` asks a text question after a text
        turn and `VT` asks a text question after an image turn: the configuration in which a multimodal model's text
        skills are tested *in* a multimodal conversation.

        `grouping="random"` puts random turns together and needs nothing; the default, `embedding`, groups turns on
        similar topics with a sentence embedder (the named `iit` suite is built that way). The result is a dataset
        directory (`items.jsonl`, `images/`, `dataset_card.json`) whose fingerprint hashes every item and image; runs
        record it, so two runs are comparable only if their fingerprints match.
    """),
    code("""
        data = api.build("synth", OUT / "data", configs="T,TT,TV,VT,V", per_config=LIMIT, grouping="random",
                         progress=False)
        print(data.card.n_items, "dialogues;", data.card.counts_per_config, "; fingerprint", data.fingerprint[:12])
        data.to_pandas().head(8)
    """),
    md("One dialogue, turn by turn (`ImagePart`s are paths inside the dataset directory):"),
    code("""
        item = next(i for i in data.items if i.config == "VT")
        for k, turn in enumerate(item.turns):
            parts = [getattr(p, "text", None) or f"<image {p.path}>" for p in turn.parts]
            role = "scored" if k == item.scored_turn else "context"
            print(f"turn {k} ({turn.kind}, {turn.source}, {role}): {parts}")
            print(f"    choices {turn.choices}, gold {turn.answer} = {turn.choices[turn.answer]!r}")
    """),
    md("""
        ## 2. Run a model

        `api.evaluate(model, data, output=DIR)` scores every dialogue. For each candidate answer of the scored turn
        the model gives the log-likelihood of that answer as its reply; the prediction is the candidate with the
        highest one. The zoo answers with the option *text* (not its letter); iitbench reads that from the model's
        config, so you do not pass it. The run directory holds `results.json` (metrics and provenance: model
        fingerprint, dataset fingerprint, prompt format, versions) and `samples.jsonl` (one record per scored turn).
    """),
    code("""
        run = api.evaluate("wings-tiny", data.root, output=OUT / "runs" / "wings-tiny", progress=False)
        print(f"overall accuracy {run.accuracy:.3f} over {run.metrics['overall']['n']} scored turns "
              f"({run.computed} computed now)")
        run.to_pandas("configs")
    """),
    md("""
        **How to read it.** `acc` is the fraction of scored turns answered correctly (chance is 0.25: four options);
        `acc_norm` picks the candidate by log-likelihood per token instead; `ci_lo`/`ci_hi` is the Wilson 95% interval
        of `acc`; `n_na` counts turns the model could not take (none here: wings-tiny takes images).

        **Pitfall: the interval, not the point.** With a dozen dialogues per configuration the intervals are about ±25
        points wide, so differences between configurations at this size mean nothing. Run the full suites
        (a larger `LIMIT` here, or `iitbench run --suite iit`: 100 dialogues per configuration) before reading any difference.
    """),
    md("""
        ## 3. The samples behind the numbers

        `run.to_pandas("items")` is `samples.jsonl` as a frame: per scored turn its id, configuration, source family,
        the log-likelihood of every candidate (`loglik`, in choice order), the token count of each (`n_tokens`), the
        predicted and gold indices and whether they agree. Every metric above is a pure function of these records.
    """),
    code("""
        items = run.to_pandas("items")
        items[["id", "config", "source", "loglik", "n_tokens", "prediction", "gold", "correct"]].head(8)
    """),
    md("Accuracy per task family (the `source` of the scored turn), summed over configurations:"),
    code("""
        items.groupby("source")["correct"].agg(["mean", "size"]).sort_values("mean")
    """),
    md("""
        One wrong answer, with the model's probabilities over the four candidates (softmax of the log-likelihoods:
        how sure it was):
    """),
    code("""
        import numpy as np

        wrong = items[items["correct"].eq(False)]
        wrong = (wrong if len(wrong) else items).iloc[0]  # (a model that is never wrong: show its first answer)
        turn = next(i for i in data.items if i.id == wrong["id"]).turns[wrong["turn"]]
        probs = np.exp(np.array(wrong["loglik"]) - np.logaddexp.reduce(wrong["loglik"]))
        print(wrong["id"], "|", " ".join(getattr(p, "text", "<image>") for p in turn.parts))
        pd.DataFrame({"choice": turn.choices, "p": probs.round(3),
                      "gold": [k == turn.answer for k in range(len(turn.choices))],
                      "predicted": [k == wrong["prediction"] for k in range(len(turn.choices))]})
    """),
    md("""
        **Runs resume.** Calling `evaluate` again with the same output computes only what is missing (here: nothing),
        and `RunResults.load(dir)` reads a finished run back without the model.
    """),
    code("""
        again = api.evaluate("wings-tiny", data.root, output=OUT / "runs" / "wings-tiny", progress=False)
        back = api.RunResults.load(OUT / "runs" / "wings-tiny")
        assert again.computed == 0 and back.accuracy == run.accuracy
        print("recomputed:", again.computed, "| accuracy read back:", back.accuracy)
    """),
    md("""
        ## 4. Three models, one table

        `base-tiny` is the text-only LLM; `llava-tiny` and `wings-tiny` were both trained from it with the same vision
        encoder, the first with the naive LLaVA recipe (full fine-tune at a high learning rate), the second with WINGS
        (README.md, "Status"). A text-only model cannot take a dialogue with an image: those turns are *not
        applicable* (`n` = 0, no accuracy), never counted as wrong. That includes `VT`, whose image is in the context.
    """),
    code("""
        MODELS = ["base-tiny", "llava-tiny", "wings-tiny"]
        runs = {m: run if m == "wings-tiny" else api.evaluate(m, data.root, output=OUT / "runs" / m, progress=False)
                for m in MODELS}
        table = pd.concat([r.to_pandas("configs").assign(model=m) for m, r in runs.items()])
        table.pivot(index="config", columns="model", values="acc").loc[["T", "TT", "VT", "TV", "V", "overall"]]
    """),
    md("""
        **Pitfall: "overall" is not comparable across these columns**: base-tiny's overall averages only its text
        configurations. Compare configuration by configuration, or use the paired forgetting comparison below.
    """),
    md("""
        ## 5. Text forgetting, paired per item

        `api.forgetting(mllm, base)` runs both models on the **text** suite with identical prompts (the MLLM's answer
        format for both, and a check that both chat templates render the same dialogue) and compares them item by
        item: `delta` = MLLM − base accuracy, with a paired bootstrap 95% CI, and McNemar's exact test on the items
        where exactly one model is right.

        **Pitfall: `limit` and the text suite.** `limit` takes the first N dialogues *per configuration*, and the text
        suite is a single configuration (`T`) ordered by task family, so a small limit would test arithmetic only.
        The full text suite is 350 questions (7 families × 50) and takes seconds with these models, so it runs whole.
    """),
    code("""
        fg = {m: api.forgetting(m, "base-tiny", suite="text", output=OUT / f"forgetting-{m}", n_boot=1000,
                                progress=False)
              for m in ["llava-tiny", "wings-tiny"]}
        display(Markdown(fg["llava-tiny"].markdown))
    """),
    md("The same comparison as DataFrames, both MLLMs side by side (`acc_a` is the MLLM, `acc_b` the base):"),
    code("""
        tasks = pd.concat([f.to_pandas("tasks").assign(mllm=m) for m, f in fg.items()])
        tasks.pivot(index="task", columns="mllm", values="delta").mul(100).round(1)
    """),
    code("""
        overall = tasks[tasks["task"] == "overall"].set_index("mllm")
        overall[["n", "acc_a", "acc_b", "delta", "delta_ci95_lo", "delta_ci95_hi", "mcnemar_p"]]
    """),
    md("""
        Per item: who got what right. The off-diagonal cells are the items McNemar's test is about; the diagonal ones
        (both right, both wrong) carry no information about a difference.
    """),
    code("""
        pairs = fg["llava-tiny"].to_pandas("items")
        pd.crosstab(pairs["base_correct"], pairs["mllm_correct"], rownames=["base-tiny right"],
                    colnames=["llava-tiny right"])
    """),
    md("""
        ## What to take away

        - A negative `delta` whose CI excludes 0 is forgetting you can claim; a CI that straddles 0 is not evidence
          either way. Compare with the full-suite figures recorded in `leaderboards/zoo.md`.
        - Pair models on the same items (`forgetting`), rather than comparing two overall accuracies.
        - Everything here is files on disk: `iitbench report DIR...` (or `api.report`) turns these directories into
          one HTML page. Next: `write-an-adapter.ipynb` (your own model), `reading-a-laws-report.ipynb` (attention
          shift) and `reproduction-study.ipynb` (the paper's claims, as a study).
    """),
]

if __name__ == "__main__":
    write(cells, "quickstart.ipynb")
