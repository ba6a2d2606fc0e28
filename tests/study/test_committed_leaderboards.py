"""Every committed study table is what `iitbench leaderboard` makes of the committed study results, byte for byte.

Convention: the small result files of study NAME live in leaderboards/studies/NAME/ and its tables in
leaderboards/NAME/, each table naming the command that rebuilt it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iitbench.study.leaderboard import write_leaderboard

ROOT = Path(__file__).resolve().parents[2]
STUDIES = sorted(p.name for p in (ROOT / "leaderboards" / "studies").glob("*") if p.is_dir())


@pytest.mark.parametrize("name", STUDIES or [pytest.param("none", marks=pytest.mark.skip("no committed study"))])
def test_committed_tables_match_the_committed_results(name, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the command recorded in the tables uses repository-relative paths
    tables = Path("leaderboards") / name
    command = f"iitbench leaderboard leaderboards/studies/{name} --out {tables.as_posix()}"
    write_leaderboard(Path("leaderboards/studies") / name, tmp_path, command)
    committed = sorted(p.name for p in tables.iterdir() if p.suffix in (".md", ".csv"))
    assert committed, f"{tables}: no committed tables"
    for file in committed:
        assert (tmp_path / file).read_bytes() == (tables / file).read_bytes(), f"{tables / file} is stale"


def test_top_level_reproduction_quotes_its_studies_verbatim():
    """leaderboards/REPRODUCTION.md explains the claims in prose around the tables of its studies (the deep zoo, the
    real-LLM family); each quoted table must be that study's generated REPRODUCTION.md table, byte for byte (re-copy
    it when the study changes)."""
    page = ROOT / "leaderboards" / "REPRODUCTION.md"
    if not page.is_file():
        pytest.skip("no leaderboards/REPRODUCTION.md")
    text = page.read_text(encoding="utf-8")
    blocks = text.split("<!-- BEGIN generated from leaderboards/")[1:]
    assert blocks, f"{page}: no generated block"
    for block in blocks:
        source = "leaderboards/" + block.split(" ", 1)[0]
        quoted = block[block.index("\n") + 1:block.index("<!-- END generated -->")]
        generated = (ROOT / source).read_text(encoding="utf-8")
        table = "".join(line + "\n" for line in generated.splitlines() if line.startswith("|"))
        assert table and quoted == table, f"{page}: the claims table differs from {source}; copy it again"
