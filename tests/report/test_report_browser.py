"""The HTML report rendered by a real browser (headless chromium): run with `pytest -m browser`; skipped when no
chromium is installed."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from iitbench.cli.main import main

WIDTH, HEIGHT = 1280, 2400


def _chromium() -> str | None:
    for name in (os.environ.get("IITBENCH_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (apt-get install chromium, or set "
                    "IITBENCH_CHROMIUM)")
def test_chromium_renders_the_report_to_a_non_blank_png(dirs, tmp_path):
    from PIL import Image, ImageStat

    browser = _chromium()
    page = tmp_path / "report.html"
    paths = [str(p) for p in (*dirs.runs, dirs.forgetting, *dirs.derived_laws, *dirs.derived_forgetting)]
    assert main(["report", *paths, "--out", str(page)]) == 0
    shot = tmp_path / "shot.png"
    proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                           f"--window-size={WIDTH},{HEIGHT}", page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.is_file(), f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    with Image.open(shot) as im:
        assert im.size == (WIDTH, HEIGHT)
        grey = im.convert("L")
        # A blank (or failed, all-white) page has ~zero variance; text, tables and plots give plenty.
        assert ImageStat.Stat(grey).var[0] > 200
        # the top of the page (title and first table) and a lower band (forgetting plot) both have content
        top, low = grey.crop((0, 0, WIDTH, 600)), grey.crop((0, 1200, WIDTH, 2400))
        assert ImageStat.Stat(top).var[0] > 100 and ImageStat.Stat(low).var[0] > 100


# ------------------------------------------------------------------------------------------------ sample browser
needs_chromium = pytest.mark.skipif(_chromium() is None, reason="no chromium on PATH (apt-get install chromium, or "
                                    "set IITBENCH_CHROMIUM)")


@pytest.fixture(scope="module")
def browser_page(browser_fg, tmp_path_factory):
    page = tmp_path_factory.mktemp("browser_page") / "report.html"
    assert main(["report", str(browser_fg), "--out", str(page)]) == 0
    return page


def _dom(page, fragment: str, profile) -> str:
    """The DOM after the page's script ran (it draws the first page synchronously at load)."""
    proc = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                           "--virtual-time-budget=5000", "--dump-dom", page.resolve().as_uri() + fragment],
                          capture_output=True, text=True, timeout=120)
    assert 'id="sb-status"' in proc.stdout, f"the browser did not render (exit {proc.returncode}): " \
                                            f"{proc.stderr[-2000:]}"
    return proc.stdout


def _status(dom: str) -> dict[str, int]:
    import re

    tag = re.search(r'<div class="sb-status"[^>]*>', dom).group(0)
    return {k: int(v) for k, v in re.findall(r'data-(total|page|pages|shown)="(\d+)"', tag)}


def _cards(dom: str) -> list[str]:
    import re

    return re.findall(r'<article class="sb-item" data-id="([^"]*)"', dom)


@pytest.mark.browser
@needs_chromium
def test_browser_first_page_shows_items_with_their_images(browser_page, tmp_path):
    import re

    dom = _dom(browser_page, "", tmp_path / "profile")
    assert _status(dom) == {"total": 36, "page": 1, "pages": 2, "shown": 20}
    cards = _cards(dom)
    assert len(cards) == 20 and cards[0] == "T-000"
    thumbs = re.findall(r'<img class="sb-thumb" src="(data:image/[a-z]+;base64,[^"]+)"', dom)
    assert len(thumbs) >= 5  # the V turns of the first 20 dialogues
    assert "turn 3 · V · " in dom and 'class="sb-reply"' not in dom  # teacher-forced runs have no replies


@pytest.mark.browser
@needs_chromium
def test_browser_forgotten_filter_shows_the_forgetting_count(browser_page, browser_fg, tmp_path):
    import json

    forgotten = json.loads((browser_fg / "forgetting.json").read_text())["comparison"]["overall"]["only_b_correct"]
    assert forgotten > 0
    dom = _dom(browser_page, "#filter=forgotten", tmp_path / "profile")
    assert _status(dom)["total"] == forgotten == len(_cards(dom))
    assert f"forgetting.json counts {forgotten} forgotten" in dom
    # every card shown: the MLLM wrong, the base right
    assert dom.count('class="sb-badge wrong">[F1] MLLM') == forgotten
    assert dom.count('class="sb-badge right">[F1] base') == forgotten


@pytest.mark.browser
@needs_chromium
def test_browser_search_page_two_and_combined_filters_from_the_address(browser_page, tmp_path):
    dom = _dom(browser_page, "#q=TTV-004", tmp_path / "p1")
    assert _cards(dom) == ["TTV-004"] and _status(dom)["total"] == 1
    dom = _dom(browser_page, "#page=2", tmp_path / "p2")
    assert _status(dom) == {"total": 36, "page": 2, "pages": 2, "shown": 16} and len(_cards(dom)) == 16
    dom = _dom(browser_page, "#config=TV&run=2&outcome=incorrect", tmp_path / "p3")
    assert all(c.startswith("TV-") for c in _cards(dom)) and 0 < _status(dom)["total"] <= 6
    dom = _dom(browser_page, "#q=question%2014%3A", tmp_path / "p4")  # by text: "Question 14:" is one turn
    assert _status(dom)["total"] >= 1


@pytest.mark.browser
@needs_chromium
def test_browser_report_screenshot_is_not_blank(browser_page, tmp_path):
    from PIL import Image, ImageStat

    shot = tmp_path / "shot.png"
    proc = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                           f"--window-size={WIDTH},{HEIGHT * 2}", browser_page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.is_file(), f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    with Image.open(shot) as im:
        grey = im.convert("L")
        assert ImageStat.Stat(grey).var[0] > 200
        # the browser is last: the bottom band holds its cards (text, tables, thumbnails), not white
        assert ImageStat.Stat(grey.crop((0, 3 * HEIGHT // 2, WIDTH, 2 * HEIGHT))).var[0] > 100


CLICKS = """<script>
(function () {
  const out = {}, q = (s) => document.querySelector(s), st = () => q("#sb-status");
  q(".sb-thumb").click();
  out.zoom = !q("#sb-zoom").hidden && q("#sb-zoom img").src.startsWith("data:image/");
  q("#sb-zoom").click();
  out.closed = q("#sb-zoom").hidden;
  q(".sb-next").click();
  out.page2 = st().getAttribute("data-page") + "/" + location.hash;
  q("#sb-forgotten-1").click();
  out.forgotten = st().getAttribute("data-total") + "/" + location.hash;
  const sel = q("#sb-config"); sel.value = "V"; sel.dispatchEvent(new Event("change"));
  out.config = st().getAttribute("data-total") + "/" + location.hash;
  document.body.setAttribute("data-clicks", JSON.stringify(out));
})();
</script>"""


@pytest.mark.browser
@needs_chromium
def test_browser_controls_zoom_page_filter_and_rewrite_the_address(browser_page, browser_fg, tmp_path):
    import html
    import json
    import re

    page = tmp_path / "clicks.html"
    page.write_text(browser_page.read_text(encoding="utf-8").replace("</body>", CLICKS + "</body>"), encoding="utf-8")
    dom = _dom(page, "", tmp_path / "profile")
    out = json.loads(html.unescape(re.search(r'data-clicks="([^"]*)"', dom).group(1)))
    forgotten = json.loads((browser_fg / "forgetting.json").read_text())["comparison"]["overall"]["only_b_correct"]
    assert out["zoom"] and out["closed"] and out["page2"] == "2/#page=2"
    assert out["forgotten"] == f"{forgotten}/#filter=forgotten"
    total, address = out["config"].split("/")
    assert address == "#config=V&filter=forgotten" and int(total) <= forgotten
