"""GGUF files through `hf-causal:`: converted once into the cache as safetensors, with provenance, safely under
concurrency, and bad files refused in one line. Uses tiny GGUFs written on the fly (tests/models/gguf_fixtures.py);
the real SmolLM2 file is tested in test_smollm2.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from iitbench.errors import ModelError
from iitbench.models import gguf_cache, load_model
from iitbench.models.gguf import file_sha256
from tests.fixtures.tiny_lm import CHATML_TEMPLATE
from tests.models.gguf_fixtures import write_tiny_gguf

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("IITBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


def _folders(models: Path) -> list[str]:
    """Everything conversions left in the models cache besides locks and the hash memos."""
    if not models.is_dir():
        return []
    return sorted(p.name for p in models.iterdir() if not p.name.endswith(".lock") and p.name != "gguf-hashes")


def _gguf_logits(file: Path, ids: torch.Tensor) -> torch.Tensor:
    """Logits of the model transformers loads straight from the GGUF (the reference for the conversion)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(file.parent), gguf_file=file.name, dtype=torch.float32).eval()
    with torch.no_grad():
        return model(ids).logits


@pytest.mark.parametrize("tied", [False, True], ids=["own-head", "tied-head"])
def test_a_gguf_file_loads_as_its_cached_conversion_with_the_same_logits(tmp_path, cache, tied):
    file = write_tiny_gguf(tmp_path / "src" / "tiny.gguf", tied=tied)
    adapter = load_model(f"hf-causal:{file}")
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    folder = cache / f"gguf-{sha[:16]}-c{gguf_cache.FORMAT}"
    assert Path(adapter.path) == folder and _folders(cache) == [folder.name]
    assert sorted(p.name for p in folder.glob("*.safetensors")) == ["model.safetensors"]
    assert not list(folder.glob("*.bin")) and not list(folder.glob("*.gguf"))
    assert adapter.model.config.tie_word_embeddings is tied

    ids = adapter.tokenizer("the answer is", return_tensors="pt").input_ids
    with torch.no_grad():
        ours = adapter.model(ids).logits
    assert torch.equal(ours, _gguf_logits(file, ids))

    prov = adapter.describe()["gguf"]
    assert prov["sha256"] == sha and prov["size"] == file.stat().st_size and prov["file"] == "tiny.gguf"
    assert prov["source"] == str(file.resolve()) and prov["architecture"] == "llama"
    assert prov["quantization"] == "Q8_0" and prov["tensor_types"] == ["F32", "Q8_0"]
    assert prov["conversion"] == "Q8_0 dequantised to float32" and prov["dtype"] == "float32"
    assert prov["versions"]["gguf"] and prov["versions"]["transformers"]
    assert json.loads((folder / gguf_cache.PROVENANCE_FILE).read_text())["sha256"] == sha

    # the chat template is the GGUF's own, and it is what prompts are rendered with
    assert adapter.template_kind == "chat" and adapter.template == CHATML_TEMPLATE
    from iitbench.models.protocol import Message, TextPart

    prompt = adapter.render([Message(role="user", parts=(TextPart("hi"),))])
    assert prompt == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def test_a_second_load_reuses_the_folder_and_a_folder_with_one_gguf_names_it(tmp_path, cache, monkeypatch):
    file = write_tiny_gguf(tmp_path / "src" / "tiny.gguf")
    first = load_model(f"hf-causal:{file}")

    def no_second_conversion(*_):
        raise AssertionError("converted twice")

    monkeypatch.setattr(gguf_cache, "_write_folder", no_second_conversion)
    again = load_model(f"hf-causal:{file.parent}")  # the folder holding the file
    assert again.path == first.path and again.fingerprint() == first.fingerprint()
    # a copy of the same bytes elsewhere is the same conversion, its provenance naming the copy
    copy = tmp_path / "elsewhere" / "renamed.gguf"
    copy.parent.mkdir()
    copy.write_bytes(file.read_bytes())
    other = load_model(f"hf-causal:{copy}")
    assert other.path == first.path and other.describe()["gguf"]["source"] == str(copy.resolve())


def test_the_file_hash_is_memoised_by_path_size_and_mtime(tmp_path):
    file = tmp_path / "x.gguf"
    file.write_bytes(b"GGUF" + bytes(100))
    memo = tmp_path / "memo"
    real = file_sha256(file, memo)
    assert real == hashlib.sha256(file.read_bytes()).hexdigest()
    (entry,) = memo.glob("*.json")
    entry.write_text(json.dumps({**json.loads(entry.read_text()), "sha256": "remembered"}))
    assert file_sha256(file, memo) == "remembered"  # same stamp: not re-read
    os.utime(file, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert file_sha256(file, memo) == real  # touched: hashed again


_RACER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from iitbench.models.gguf_cache import convert_gguf
    import transformers, transformers.modeling_gguf_pytorch_utils  # imported before the start signal
    ready, go = Path(sys.argv[2]), Path(sys.argv[3])
    ready.touch()
    while not go.exists():
        time.sleep(0.01)
    print(convert_gguf(sys.argv[1]).folder)
""")


def test_two_processes_converting_at_once_leave_one_valid_folder(tmp_path, cache):
    file = write_tiny_gguf(tmp_path / "src" / "tiny.gguf")
    go = tmp_path / "go"
    env = {**os.environ, "IITBENCH_CACHE": str(cache.parent), "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", _RACER, str(file), str(tmp_path / f"ready{i}"), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
             for i in range(2)]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.05)
    go.touch()  # both start converting now
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    folders = {out.strip() for out, _ in outs}
    assert len(folders) == 1
    (folder,) = folders
    assert _folders(cache) == [Path(folder).name]  # no temporary folder left
    # exactly one process converted; the other waited for its lock and reused the result
    assert sum(line.startswith("converting tiny.gguf") for _, err in outs for line in err.splitlines()) == 1, outs
    assert gguf_cache.read_provenance(Path(folder), hashlib.sha256(file.read_bytes()).hexdigest())
    assert load_model(f"hf-causal:{file}").path == folder


def test_an_interrupted_conversion_leaves_nothing_and_leftovers_are_cleaned(tmp_path, cache, monkeypatch):
    file = write_tiny_gguf(tmp_path / "src" / "tiny.gguf")
    real_write = gguf_cache._write_folder

    def dies_halfway(info, folder):
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(gguf_cache, "_write_folder", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        gguf_cache.convert_gguf(file)
    assert _folders(cache) == []
    # a killed process's temporary folder and a target folder without provenance are both replaced
    monkeypatch.setattr(gguf_cache, "_write_folder", real_write)
    target = gguf_cache.target_folder(file_sha256(file))
    stale = target.parent / f".{target.name}.tmp-999-dead"
    stale.mkdir(parents=True)
    target.mkdir()
    (target / "config.json").write_text("{}")
    done = gguf_cache.convert_gguf(file)
    assert _folders(cache) == [target.name] and done.folder == target
    assert (target / "model.safetensors").stat().st_size > 1000


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("damage", ["truncated", "header-only", "not-gguf", "empty"])
def test_a_damaged_gguf_is_one_line_naming_it(tmp_path, cache, damage):
    good = write_tiny_gguf(tmp_path / "good.gguf").read_bytes()
    data = {"truncated": good[: len(good) // 2], "header-only": good[:300], "not-gguf": b"hello\n" * 50,
            "empty": b""}[damage]
    bad = tmp_path / "src" / "broken.gguf"
    bad.parent.mkdir()
    bad.write_bytes(data)
    with pytest.raises(ModelError) as excinfo:
        load_model(f"hf-causal:{bad}")
    message = _one_line(excinfo)
    assert str(bad) in message and "damaged or truncated" in message
    assert _folders(cache) == []


def test_nan_weights_are_refused_as_damage(tmp_path, cache):
    bad = write_tiny_gguf(tmp_path / "nan.gguf", nan=True)
    with pytest.raises(ModelError) as excinfo:
        gguf_cache.convert_gguf(bad)
    assert str(bad) in _one_line(excinfo) and "NaN" in str(excinfo.value)
    assert _folders(cache) == []


def test_an_architecture_transformers_cannot_read_is_one_line(tmp_path, cache, capsys):
    bad = write_tiny_gguf(tmp_path / "odd.gguf", arch="foo-arch")
    with pytest.raises(ModelError) as excinfo:
        load_model(f"hf-causal:{bad}")
    message = _one_line(excinfo)
    assert str(bad) in message and "cannot read GGUF architecture 'foo-arch'" in message and "llama" in message
    assert capsys.readouterr().err == ""  # refused before any conversion began
    assert _folders(cache) == []


def test_the_cli_refuses_a_bad_gguf_with_exit_2_and_one_line(tmp_path, cache, capsys):
    from iitbench.cli.main import main
    from tests.runner.dataset_factory import make_dataset

    data = make_dataset(tmp_path / "data", per_config=1)
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + bytes(10))
    capsys.readouterr()
    assert main(["run", "--model", f"hf-causal:{bad}", "--suite", str(data), "--output", str(tmp_path / "run"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and str(bad) in err
    assert not (tmp_path / "run").exists() and _folders(cache) == []


def test_path_mistakes_are_one_line(tmp_path, cache):
    with pytest.raises(ModelError, match="does not exist") as excinfo:
        load_model(f"hf-causal:{tmp_path / 'missing.gguf'}")
    _one_line(excinfo)
    many = tmp_path / "many"
    many.mkdir()
    for name in ("a.Q4_0.gguf", "a.Q8_0.gguf"):
        (many / name).write_bytes(b"")
    with pytest.raises(ModelError, match=r"holds 2 GGUF files .*name one, e\.g\. hf-causal:") as excinfo:
        load_model(f"hf-causal:{many}")
    _one_line(excinfo)
    split = write_tiny_gguf(tmp_path / "big-00001-of-00002.gguf", split_count=2)
    with pytest.raises(ModelError, match="split GGUF.*merge") as excinfo:
        load_model(f"hf-causal:{split}")
    _one_line(excinfo)
    assert _folders(cache) == []


def test_too_little_disk_is_refused_before_converting(tmp_path, cache, monkeypatch):
    import shutil
    from collections import namedtuple

    file = write_tiny_gguf(tmp_path / "tiny.gguf")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10, 10, 0))
    with pytest.raises(ModelError, match="IITBENCH_CACHE") as excinfo:
        gguf_cache.convert_gguf(file)
    _one_line(excinfo)
    assert _folders(cache) == []


def test_a_missing_gguf_package_says_how_to_install_it(tmp_path, cache, monkeypatch):
    import importlib.util

    file = write_tiny_gguf(tmp_path / "tiny.gguf")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real(name, *a))
    with pytest.raises(ModelError, match=r"pip install 'gguf>=0\.10'") as excinfo:
        load_model(f"hf-causal:{file}")
    _one_line(excinfo)
