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
