"""The notebooks in notebooks/ execute top to bottom (nbclient, python3 kernel) on the shipped zoo, each one's outputs
are checked, and the committed notebooks are exactly what their notebooks/make_*.py generators write (no outputs)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NB_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
LIMIT = 4  # IITBENCH_NB_LIMIT for the tests: dialogues per configuration


def generator(notebook: Path) -> Path:
    return notebook.with_name(f"make_{notebook.stem.replace('-', '_')}.py")


def outputs(nb) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def shown(nb) -> str:
    """Everything the executed notebook printed or displayed, as text."""
    parts = []
    for o in outputs(nb):
        if o.get("output_type") == "stream":
            parts.append(o["text"])
        for mime in ("text/plain", "text/markdown"):
            parts.append(o.get("data", {}).get(mime, ""))
    return "\n".join(parts)


# -- what each notebook must have produced ------------------------------------------------------------------------


def check_paper_story(out: Path, nb) -> None:
    assert (out / "iit.md").is_file() and (out / "forgetting-wings-tiny" / "forgetting.json").is_file()


def check_quickstart(out: Path, nb) -> None:
    from iitbench.api import ForgettingResults, RunResults

    configs = ["T", "TT", "TV", "V", "VT"]
    wings = RunResults.load(out / "runs" / "wings-tiny")
    assert sorted(wings.metrics["per_config"]) == configs
    assert all(wings.metrics["per_config"][c]["n"] == LIMIT for c in configs)
    base = RunResults.load(out / "runs" / "base-tiny").metrics["per_config"]  # text-only: image dialogues n/a
    assert [(base[c]["n"], base[c]["n_na"]) for c in ("TV", "V", "VT")] == [(0, LIMIT)] * 3
    assert base["T"]["n"] == LIMIT
    for mllm in ("llava-tiny", "wings-tiny"):
        fg = ForgettingResults.load(out / f"forgetting-{mllm}")
        overall = fg.summary["comparison"]["overall"]
        assert overall["n"] == 350 and len(fg.summary["comparison"]["per_task"]) == 7  # the whole text suite
        assert fg.summary["template"]["chat_templates_match"] is True
        assert fg.delta == pytest.approx(overall["acc_a"] - overall["acc_b"])
    assert "recomputed: 0" in shown(nb)  # the second evaluate resumed instead of recomputing


def check_write_an_adapter(out: Path, nb) -> None:
    from iitbench.api import RunResults

    def scored(name):
        run = RunResults.load(out / "runs" / name)
        return run, {(r["id"], r["turn"]): r for r in run.samples() if r["status"] == "ok"}

    mine, rows = scored("tiny-lm")
    assert mine.results["model"]["name"] == "tiny-lm"
    assert mine.metrics["overall"]["n_na"] > 0  # text-only: the runner left the image dialogues out
    for other in ("tiny-lm-batch1", "base-tiny"):  # batch-size independence; agreement with the built-in adapter
        _, theirs = scored(other)
        assert theirs.keys() == rows.keys()
        for key, r in rows.items():
            assert theirs[key]["prediction"] == r["prediction"]
            assert max(abs(a - b) for a, b in zip(theirs[key]["loglik"], r["loglik"])) < 5e-5
    _, left1 = scored("left-padded-1")
    _, left16 = scored("left-padded-16")  # the notebook's broken adapter: batching changes its scores
    assert max(abs(a - b) for k in left1 for a, b in zip(left1[k]["loglik"], left16[k]["loglik"])) > 1e-3
    free = RunResults.load(out / "runs" / "tiny-lm-generate")
    assert free.results["settings"]["mode"] == "free-running"
    assert any(r.get("response") for r in free.samples())  # generate() was called


def check_reading_a_laws_report(out: Path, nb) -> None:
    summaries = {p.name: json.loads((p / "laws_summary.json").read_text()) for p in out.glob("laws-*")
                 if (p / "laws_summary.json").is_file()}
    for model in ("wings-tiny", "llava-tiny"):
        plain = summaries[f"laws-{model}"]
        assert plain["settings"]["segments"] == "content" and plain["shift"]["n"] > 0
        assert plain["shift"]["lo"] <= plain["shift"]["value"] <= plain["shift"]["hi"]
        # heads averaged or summed, masses per query or not: a constant factor per sample, the same shift
        for variant in ("mean", "pq"):
            assert summaries[f"laws-{model}-{variant}"]["shift"]["value"] == pytest.approx(plain["shift"]["value"])
    compare = json.loads((out / "compare" / "laws_compare.json").read_text())
    assert [m["name"] for m in compare["models"]] == ["wings-tiny", "llava-tiny"]
    assert compare["forgetting"]["pearson"] is None  # two models: no correlation
    assert "shift recomputed by hand" in shown(nb)


def check_reproduction_study(out: Path, nb) -> None:
    board = out / "leaderboard"
    with open(board / "models.csv", encoding="utf-8") as fh:
        models = {row["model"]: row for row in csv.DictReader(fh)}
    assert sorted(models) == ["base-tiny", "llava-tiny", "wings-tiny"]
    assert models["llava-tiny"]["text Δ (pts)"] != "–" and models["base-tiny"]["text Δ (pts)"] == "–"
    claims = {line.split(" | ")[0].strip("| "): line for line in (board / "REPRODUCTION.md").read_text().splitlines()
              if line.startswith("| C") or line.startswith("| F")}
    assert "not testable here" in claims["C3"]  # two MLLMs: no correlation over models
    assert "not testable here" in claims["C5"]  # one learning-rate scheme per method: nothing to compare
    assert all("**" in line for line in claims.values())  # every claim has a verdict
    head = (board / "correlations.md").read_text().splitlines()
    table = [line for line in head if line.startswith("|")]
    assert len({line.replace("\\|", "").count("|") for line in table}) == 1  # header and rows: one column count


CHECKS = {"paper_story.ipynb": check_paper_story, "quickstart.ipynb": check_quickstart,
          "write-an-adapter.ipynb": check_write_an_adapter,
          "reading-a-laws-report.ipynb": check_reading_a_laws_report,
          "reproduction-study.ipynb": check_reproduction_study}


# -- the tests ----------------------------------------------------------------------------------------------------


def test_every_notebook_has_a_generator_and_a_check():
    assert NOTEBOOKS
    assert sorted(p.name for p in NOTEBOOKS) == sorted(CHECKS)
    assert sorted(generator(p).name for p in NOTEBOOKS) == sorted(p.name for p in NB_DIR.glob("make_*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("IITBENCH_NB_OUT", str(tmp_path))
    monkeypatch.setenv("IITBENCH_NB_LIMIT", str(LIMIT))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    nb = nbformat.read(path, as_version=4)
    # allow_errors=False: the first failing cell raises CellExecutionError (with its traceback) and fails the test
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert not [o for o in outputs(nb) if o.get("output_type") == "error"]
    CHECKS[path.name](tmp_path, nb)


def test_committed_notebooks_are_stripped_and_generated(tmp_path):
    for path in NOTEBOOKS:
        subprocess.run([sys.executable, str(generator(path)), str(tmp_path)], check=True)
        committed, fresh = nbformat.read(path, as_version=4), nbformat.read(tmp_path / path.name, as_version=4)
        assert not outputs(committed), f"{path.name}: outputs are committed; regenerate it with {generator(path)}"
        assert all(c.get("execution_count") is None for c in committed.cells if c.cell_type == "code")
        assert [(c.cell_type, c.source) for c in committed.cells] == \
            [(c.cell_type, c.source) for c in fresh.cells], f"{path.name} is stale: run {generator(path).name}"
        assert path.read_text(encoding="utf-8") == (tmp_path / path.name).read_text(encoding="utf-8")
