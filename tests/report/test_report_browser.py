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
