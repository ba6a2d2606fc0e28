"""The bad-input contract, shared by the catalogues of the iitbench CLI (tests/cli/test_bad_inputs.py) and of the
wings_ref tools (tests/wings_ref/test_wings_tools_bad_inputs.py): a refused command exits 2 with ONE line on stderr, no
traceback, and writes nothing.

A catalogue is a dict of cases; each case builds its own broken input under tmp_path and returns the in-process call
to make and `gone`, what the refused command must not have written, and optionally what the line must name (the
culprit, when the case could be refused for another reason: an unwritable output must be refused as such). An
exception escaping the command fails the test as a traceback would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

Case = Callable[[Path], tuple]  # -> (invoke, gone) or (invoke, gone, must_name)


def catalogue() -> tuple[dict[str, Case], Callable[[Case], Case]]:
    """An empty catalogue and its `@case` decorator (a case is named after its function, without `case_`)."""
    cases: dict[str, Case] = {}

    def case(fn: Case) -> Case:
        cases[fn.__name__.removeprefix("case_")] = fn
        return fn

    return cases, case


def check_refused(case: Case, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("IITBENCH_CACHE", str(tmp_path / "cache"))
    invoke, gone, *must_name = case(tmp_path)
    capsys.readouterr()
    try:
        code = invoke()
    except SystemExit as exit_:  # argparse usage errors leave through SystemExit
        code = exit_.code
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err and "\n" not in err and "Traceback" not in err, err
    assert [p for p in gone if p.exists()] == []
    assert all(str(name) in err for name in must_name), err
