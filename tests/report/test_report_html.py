"""`iitbench report` over a mix of run, forgetting and LAWS directories: HTML page, Markdown twin, errors."""

from __future__ import annotations

import html
import re

import pytest

from iitbench.cli.main import main
from tests.report.conftest import EVIL


def _all(dirs) -> list[str]:
    return [str(p) for p in (*dirs.runs, dirs.forgetting, dirs.laws, *dirs.derived_laws, *dirs.derived_forgetting)]


@pytest.fixture(scope="session")
def html_report(dirs, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["report", *_all(dirs), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def test_html_has_every_section(html_report):
    for anchor in ("iit", "forgetting", "laws", "shift-vs-forgetting", "provenance"):
        assert f'<section id="{anchor}">' in html_report
    assert "By position of the scored turn" in html_report and "<th>[1] dummy (teacher-forced)</th>" in html_report
    assert "Pearson r = " in html_report and "McNemar" in html_report and "<th>p</th>" in html_report
    # forgetting bars, LAWS curves and the scatter are embedded figures
    for fig in ("forgetting-1", "laws-curves", "shift-vs-forgetting"):
        assert f'<figure id="fig-{fig}"><img alt=' in html_report


def test_html_is_self_contained(html_report):
    assert 'src="http' not in html_report and "<link" not in html_report
    # the only scripts are the sample browser's, inline: its data block and its code, nothing fetched
    assert re.findall(r"<script[^>]*>", html_report) == ['<script type="application/json" id="sb-data">', "<script>"]
    assert "fetch(" not in html_report and "XMLHttpRequest" not in html_report and "import(" not in html_report
    srcs = re.findall(r'src="([^"]*)"', html_report)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    assert "url(" not in html_report.split("<body>")[0]  # no CSS fetches either


def test_html_escapes_names_from_data(html_report):
    assert EVIL not in html_report and "<b>evil" not in html_report
    assert "&lt;b&gt;evil&lt;/b&gt; &amp; co" in html_report


def test_provenance_shows_fingerprints_versions_and_hashes(html_report, dirs):
    import json

    res = json.loads((dirs.runs[0] / "results.json").read_text())
    laws = json.loads((dirs.laws / "laws_summary.json").read_text())
    fg = json.loads((dirs.forgetting / "forgetting.json").read_text())
    for value in (res["model"]["fingerprint"], res["data"]["fingerprint"], res["settings"]["prompt_hash"],
                  res["provenance"]["iitbench"], laws["model"]["fingerprint"], laws["data"]["fingerprint"],
                  laws["versions"]["torch"], fg["template"]["prompt_hash"], fg["models"]["base"]["fingerprint"]):
        assert f"<td>{value}</td>" in html_report
    if res["provenance"].get("git"):
        assert res["provenance"]["git"] in html_report


def test_same_inputs_give_same_bytes(dirs, html_report, tmp_path):
    out = tmp_path / "again.html"
    assert main(["report", *_all(dirs), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == html_report


def test_markdown_twin_has_the_same_tables(dirs, html_report, tmp_path):
    out = tmp_path / "report.md"
    assert main(["report", *_all(dirs), "--out", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    for title in re.findall(r"<h2>([^<]*)</h2>", html_report):
        assert f"\n## {title}\n" in md
    # the same table rows with the same cells, in the same order
    html_rows = [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", row)]
                 for row in re.findall(r"<tr>(.*?)</tr>", html_report)]
    md_rows = [[re.sub(r"\\(.)", r"\1", c.strip()).replace("**", "").strip("`")
                for c in re.split(r"(?<!\\)\|", line)[1:-1]]
               for line in md.splitlines() if line.startswith("| ")]
    assert len(html_rows) > 50 and md_rows == html_rows
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (tmp_path / link).is_file() and link.endswith(".png")
    assert {p.name for p in tmp_path.glob("report-*.png")} == {
        *(f"report-forgetting-{i}.png" for i in range(1, 5)), "report-laws-curves.png", "report-shift-vs-forgetting.png"}
    assert "\\<b\\>evil\\</b\\> & co" in md


def test_scatter_needs_three_models(dirs, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", str(dirs.derived_laws[0]), str(dirs.derived_forgetting[0]), str(dirs.laws), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert '<section id="shift-vs-forgetting">' in html and "found 1." in html and "fig-shift-vs-forgetting" not in html


def test_unknown_directory_kind_exits_2_with_one_line(dirs, tmp_path, capsys):
    odd = tmp_path / "odd"
    odd.mkdir()
    (odd / "notes.txt").write_text("hello")
    capsys.readouterr()
    assert main(["report", str(dirs.runs[0]), str(odd), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown kind of directory" in err and str(odd) in err
    assert not (tmp_path / "r.html").exists()


def test_malformed_forgetting_file_exits_2(tmp_path, capsys):
    (tmp_path / "forgetting.json").write_text("{not json")
    assert main(["report", str(tmp_path)]) == 2
    assert "forgetting.json: malformed JSON" in capsys.readouterr().err


def test_markdown_to_stdout_names_figures_and_writes_no_files(dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["report", str(dirs.runs[0]), str(dirs.laws)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# iitbench report\n") and "## MLLM-LAWS attention curves and shift" in text
    assert "*Figure laws-curves:" in text and list(tmp_path.iterdir()) == []


def test_markdown_escapes_markup_from_data():
    from iitbench.report.doc import Code
    from iitbench.report.markdown_doc import inline_md, md_escape

    assert md_escape("<b>x|y</b> *z*") == "\\<b\\>x\\|y\\</b\\> \\*z\\*"
    assert inline_md(Code("a|b`c")) == "`` a\\|b`c ``"


def test_twin_figures_are_byte_identical_across_renders(dirs, tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        assert main(["report", str(dirs.forgetting), str(dirs.laws), "--out", str(tmp_path / name / "r.md")]) == 0
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == ["r-forgetting-1.png", "r-laws-curves.png", "r.md"]
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)
