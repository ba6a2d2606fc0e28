"""The sample browser's embedded data (no browser needed): one entry per scored item, the forgotten set, escaping,
deduplicated thumbnails, missing dataset directories, confined and guarded image reads."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from iitbench.cli.main import main
from iitbench.data.manifest import iter_items
from iitbench.report.browser_data import browser_runs, build_payload
from iitbench.report.inputs import load_inputs
from iitbench.runner.samplelog import read_records
from tests.report.conftest import EVIL
from tests.runner.dataset_factory import make_dataset

DATA = re.compile(r'<script type="application/json" id="sb-data">(.*?)</script>', re.S)


def payload_of(*dirs: Path) -> dict:
    return build_payload(*browser_runs(load_inputs(list(dirs))))


def embedded(html: str) -> dict:
    return json.loads(DATA.search(html).group(1))


def forgotten_ids(p: dict, pair: int = 0) -> set[str]:
    a, b = p["pairs"][pair]["a"], p["pairs"][pair]["b"]

    def scored(it, r):
        return next((rec for rec in it["r"][r] or [] if rec[0] == it["t"]), None)

    out = set()
    for it in p["items"]:
        ra, rb = scored(it, a), scored(it, b)
        if ra and rb and ra[5] is None and rb[5] is None and ra[2] is False and rb[2] is True:
            out.add(it["id"])
    return out


def test_one_entry_per_scored_item_with_its_dialogue_and_records(browser_fg):
    p = payload_of(browser_fg)
    assert [r["label"] for r in p["runs"]] == ["[F1] MLLM dummy", "[F1] base random"]
    mllm = read_records(browser_fg / "mllm" / "samples.jsonl")
    base = read_records(browser_fg / "base" / "samples.jsonl")
    scored = [r for r in mllm if r["scored"]]
    assert [it["id"] for it in p["items"]] == [r["id"] for r in scored] and len(scored) == 36
    items = {it.id: it for it in iter_items(Path(p["datasets"][0]["path"]) / "items.jsonl")}
    base_by_key = {(r["id"], r["turn"]): r for r in base}
    for entry, rec in zip(p["items"], scored):
        item = items[entry["id"]]
        assert (entry["c"], entry["s"], entry["t"], entry["g"]) == (rec["config"], rec["source"], rec["turn"],
                                                                    rec["gold"])
        turns = [p["turns"][k] for k in entry["u"]]
        assert [t["c"] for t in turns] == [list(t.choices) for t in item.turns]
        assert [t["a"] for t in turns] == [t.answer for t in item.turns]
        texts = ["".join(x[1] for x in t["p"] if x[0] == "t") for t in turns]
        assert texts == [t.text for t in item.turns]
        assert sum(x[0] == "i" for t in turns for x in t["p"]) == sum(len(t.images) for t in item.turns)
        mine = next(r for r in entry["r"][0] if r[0] == rec["turn"])
        assert mine[1:3] == [rec["prediction"], rec["correct"]]
        assert mine[3] == [round(x, 3) for x in rec["loglik"]]
        theirs = base_by_key[(rec["id"], rec["turn"])]
        assert entry["r"][1] == [[rec["turn"], theirs["prediction"], theirs["correct"],
                                  [round(x, 3) for x in theirs["loglik"]], None, None]]


def test_free_running_runs_keep_every_turns_choice_and_reply(dirs):
    p = payload_of(dirs.runs[1])  # random, free-running: every turn is recorded with the reply later turns see
    records = read_records(dirs.runs[1] / "samples.jsonl")
    assert sum(len(it["r"][0]) for it in p["items"]) == len(records)
    for it in p["items"]:
        assert [r[0] for r in it["r"][0]] == list(range(len(it["c"])))
        assert all(isinstance(r[4], str) and r[4] for r in it["r"][0])


def test_forgotten_set_has_the_forgetting_tables_count(browser_fg, dirs):
    for fg in (browser_fg, dirs.forgetting):
        p = payload_of(fg)
        summary = json.loads((fg / "forgetting.json").read_text())
        count = summary["comparison"]["overall"]["only_b_correct"]  # B = base right, A = MLLM wrong
        assert p["pairs"][0]["forgotten"] == count == len(forgotten_ids(p)) and count > 0


def test_runs_over_one_dataset_share_entries_and_a_run_given_twice_is_listed_once(browser_fg):
    p = payload_of(browser_fg / "mllm", browser_fg)
    assert [r["label"] for r in p["runs"]] == ["[1] dummy (teacher-forced)", "[F1] base random"]
    assert p["pairs"][0]["a"] == 0 and len(p["items"]) == 36 and len(p["datasets"]) == 1


def test_thumbnails_are_deduplicated_by_content(tmp_path):
    import hashlib

    ds = make_dataset(tmp_path / "ds", per_config=8)
    # the same green picture under another name: one embedded image, not two
    lines = (ds / "items.jsonl").read_text().splitlines()
    shutil.copy(ds / "images" / "green.png", ds / "images" / "green-copy.png")
    first_v = next(i for i, line in enumerate(lines) if "images/green.png" in line)
    lines[first_v] = lines[first_v].replace("images/green.png", "images/green-copy.png")
    (ds / "items.jsonl").write_text("\n".join(lines) + "\n")
    (ds / "dataset.json").unlink()  # its fingerprint is stale now; the card is optional
    assert main(["run", "--model", "dummy", "--suite", str(ds), "--output", str(tmp_path / "run"),
                 "--no-progress"]) == 0
    paths = {p.path for it in iter_items(ds / "items.jsonl") for t in it.turns for p in t.images}
    contents = {hashlib.sha256((ds / p).read_bytes()).digest() for p in paths}
    assert len(paths) == len(contents) + 1
    p = payload_of(tmp_path / "run")
    used = {x[1] for t in p["turns"] for x in t["p"] if x[0] == "i"}
    assert len(p["images"]) == len(used) == len(contents)
    assert sum(x[0] == "i" for it in p["items"] for k in it["u"] for x in p["turns"][k]["p"]) == 8 * 3
    for thumb, large, w, h in p["images"]:
        assert thumb.startswith("data:image/png;base64,") and large is None and (w, h) == (8, 8)


def test_big_images_get_a_thumbnail_and_an_enlargement_within_the_budget(tmp_path):
    import numpy as np

    from iitbench.report.browser_images import ImageTable

    for name, (w, h) in (("a.png", (900, 600)), ("b.png", (700, 700))):  # smooth, many colours: a photo
        y, x = np.mgrid[0:h, 0:w]
        rgb = np.stack([x * 255 // w, y * 255 // h, (x + y) * 127 // (w + h) + 64], axis=-1).astype("uint8")
        Image.fromarray(rgb).save(tmp_path / name)
    table = ImageTable(large_budget=5_000)  # fits the first enlargement (~3 kB), not the second (~4 kB)
    assert (table.add(tmp_path, "a.png", "x"), table.add(tmp_path, "b.png", "x"), table.add(tmp_path, "a.png", "x")) \
        == (0, 1, 0)
    (t0, l0, w0, h0), (t1, l1, _, _) = table.to_json()
    for thumb in (t0, t1):
        with Image.open(_decode(thumb)) as im:
            assert max(im.size) == 160
    with Image.open(_decode(l0)) as im:
        assert im.size == (640, 427) and (w0, h0) == (900, 600)
    assert l1 is None  # over the budget: the page enlarges the thumbnail instead


def _decode(uri: str):
    import base64
    import io

    return io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))


def test_images_stay_inside_the_dataset_and_bombs_are_not_decoded(tmp_path):
    from iitbench.report.browser_images import ImageTable

    root = tmp_path / "ds"
    root.mkdir()
    Image.new("1", (10_000, 10_000)).save(root / "bomb.png")  # 100 Mpx: over PIL's guard, tiny on disk
    (tmp_path / "outside.png").write_bytes((root / "bomb.png").read_bytes())
    (root / "link.png").symlink_to(tmp_path / "outside.png")
    table = ImageTable()
    assert "too large" in table.add(root, "bomb.png", "item x")
    assert "outside the dataset directory" in table.add(root, "link.png", "item x")
    assert "escapes the dataset directory" in table.add(root, "../outside.png", "item x")
    assert "missing" in table.add(root, "gone.png", "item x")
    assert table.images == []


def test_missing_dataset_directory_is_one_note_and_records_still_show(browser_fg, tmp_path):
    moved = tmp_path / "fg"
    shutil.copytree(browser_fg, moved)
    for role in ("mllm", "base"):
        res = json.loads((moved / role / "results.json").read_text())
        res["data"]["path"] = str(tmp_path / "gone")
        (moved / role / "results.json").write_text(json.dumps(res))
    p = payload_of(moved)
    assert len(p["notes"]) == 1 and "not found" in p["notes"][0] and str(tmp_path / "gone") in p["notes"][0]
    assert len(p["items"]) == 36 and all(it["u"] is None for it in p["items"]) and p["images"] == []
    assert p["datasets"] == [{"name": "tiny", "path": str(tmp_path / "gone"), "ok": False}]
    assert len(forgotten_ids(p)) == p["pairs"][0]["forgotten"]
    out = tmp_path / "r.html"
    assert main(["report", str(moved), "--out", str(out)]) == 0
    assert embedded(out.read_text(encoding="utf-8"))["notes"] == p["notes"]


def test_a_dataset_edited_after_the_run_is_noted(tmp_path):
    ds = make_dataset(tmp_path / "ds", per_config=1)
    assert main(["run", "--model", "dummy", "--suite", str(ds), "--output", str(tmp_path / "run"),
                 "--no-progress"]) == 0
    assert payload_of(tmp_path / "run")["notes"] == []
    (ds / "items.jsonl").write_text((ds / "items.jsonl").read_text().replace("option 0-0", "option zero"))
    notes = payload_of(tmp_path / "run")["notes"]
    assert len(notes) == 1 and "changed since [1] dummy (teacher-forced) ran" in notes[0]


def test_forgetting_dir_without_its_runs_has_no_browser(dirs, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", str(dirs.derived_forgetting[0]), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<section id="samples">' not in html and "<script" not in html


HOSTILE = '</script><script>alert(1)</script><img src=x onerror="alert(2)"> & <!--'


def test_data_from_files_never_becomes_markup(dirs, tmp_path):
    ds = make_dataset(tmp_path / "ds", per_config=1, configs=("TV",))
    lines = (ds / "items.jsonl").read_text().splitlines()
    lines[0] = lines[0].replace("Look at this: ", json.dumps(HOSTILE)[1:-1])
    (ds / "items.jsonl").write_text("\n".join(lines) + "\n")
    (ds / "dataset.json").unlink()  # its fingerprint is stale now; the card is optional
    assert main(["run", "--model", "dummy", "--suite", str(ds), "--output", str(tmp_path / "run"),
                 "--no-progress"]) == 0
    res = json.loads((tmp_path / "run" / "results.json").read_text())
    res["model"]["name"] = EVIL + HOSTILE
    (tmp_path / "run" / "results.json").write_text(json.dumps(res))
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path / "run"), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert EVIL not in html and "<b>evil" not in html and HOSTILE not in html and "alert(1)</script>" not in html
    assert html.count("<script") == 2 and html.count("</script>") == 2  # the data block and the script, no more
    data = embedded(html)
    assert EVIL + HOSTILE in data["runs"][0]["label"]
    assert any(HOSTILE in x[1] for t in data["turns"] for x in t["p"] if x[0] == "t")


def test_script_writes_text_never_markup():
    from iitbench.report.browser_js import SCRIPT

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in SCRIPT
    assert "</" not in SCRIPT  # nothing in the script can close its element


def test_markdown_says_the_browser_is_html_only(browser_fg, tmp_path):
    out = tmp_path / "r.md"
    assert main(["report", str(browser_fg), "--out", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    assert "## Sample browser" in md and "in the HTML report only" in md and "data:image" not in md


def test_html_embeds_the_browser_after_the_tables(browser_fg, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", str(browser_fg), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.index('<section id="provenance">') < html.index('<section id="samples">')
    assert '<div id="sb" class="sb" data-items="36" data-images="2">' in html
    assert embedded(html) == payload_of(browser_fg)


@pytest.mark.parametrize("damage", ["samples", "items"])
def test_damaged_files_are_notes_not_failures(browser_fg, tmp_path, damage):
    moved = tmp_path / "fg"
    shutil.copytree(browser_fg, moved)
    if damage == "samples":
        (moved / "base" / "samples.jsonl").write_text("{not json\n" * 3)
    else:
        ds = tmp_path / "ds"
        shutil.copytree(Path(json.loads((moved / "mllm" / "results.json").read_text())["data"]["path"]), ds)
        (ds / "items.jsonl").write_text("{broken\n")
        for role in ("mllm", "base"):
            res = json.loads((moved / role / "results.json").read_text())
            res["data"]["path"] = str(ds)
            (moved / role / "results.json").write_text(json.dumps(res))
    p = payload_of(moved)
    assert len(p["notes"]) == 1 and ("malformed" in p["notes"][0])
    assert len(p["items"]) == 36


def test_non_finite_logliks_become_null_and_the_page_json_stays_valid(browser_fg, tmp_path):
    from iitbench.report.browser import embed_json

    moved = tmp_path / "fg"
    shutil.copytree(browser_fg, moved)
    log = moved / "mllm" / "samples.jsonl"
    records = read_records(log)
    records[0]["loglik"] = [float("nan"), float("-inf"), -1.0]
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    p = payload_of(moved)
    assert p["items"][0]["r"][0][0][3] == [None, None, -1.0]
    assert json.loads(embed_json(p)) == p
