from __future__ import annotations

from pathlib import Path

import pytest

from tests.mmsuite.mm_fixtures import write_all


@pytest.fixture(scope="session")
def mm_data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every benchmark fixture (Hub layout and TSV), written once per session."""
    return write_all(tmp_path_factory.mktemp("mm_benchmarks"))


@pytest.fixture(scope="session")
def mm_built(mm_data: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixtures built as benchmark directories (`iitbench build --benchmark NAME --source DIR`)."""
    from iitbench.mmsuite.suites import build_benchmark

    root = tmp_path_factory.mktemp("mm_built")
    out = {name: build_benchmark(name, root / name, data_dir=mm_data[name])
           for name in ("mme", "hallusionbench", "scienceqa-img", "mmbench-cn")}
    out["mmbench-cn-circular"] = build_benchmark("mmbench-cn", root / "mmbench-cn-circular",
                                                 data_dir=mm_data["mmbench-cn"], circular=True)
    return out
