"""`--reference-base LLM`: the base LLM's curves on the same dialogues without the image, recorded next to the
model's (laws_reference.npz, laws_summary.json["reference"]), with the new query options; and the one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from iitbench.errors import UserError
from iitbench.laws.protocol import AFTER, BEFORE, LawsOptions
from tests.laws.test_laws_cli import run_cli
from tests.models.hf_vlm_fixtures import one_torch_thread  # noqa: F401  (autouse: tiny models on a busy machine)


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    from tests.fixtures.tiny_lm import make_tiny_qwen2

    return f"hf-causal:{make_tiny_qwen2(tmp_path_factory.mktemp('laws_ref_lm'))}"


@pytest.fixture(scope="module")
def reference_run(wings_dir, laws_dataset, tiny_base, tmp_path_factory):
    out = tmp_path_factory.mktemp("laws_ref_out")
    assert run_cli("--model", f"wings:{wings_dir}", "--data", str(laws_dataset), "--queries", "after-image",
                   "--reference-base", tiny_base, "--reference-base-args", "dtype=float32", "--n-boot", "200",
                   "--output", str(out)) == 0
    return out


def test_reference_is_the_base_llm_on_the_same_text_without_the_image(reference_run, laws_dataset, tiny_base,
                                                                       wings_adapter):
    from iitbench.api.laws import laws_requests
    from iitbench.data.manifest import load_dataset_dir
    from iitbench.laws.extract import attention_mass
    from iitbench.laws.hf_inputs import prepare_causal
    from iitbench.laws.wings_backend import prepare_wings
    from iitbench.models import load_model

    summary = json.loads((reference_run / "laws_summary.json").read_text())
    assert summary["settings"]["queries"] == "after-image" and summary["variant"] == "content-include-sum-after"
    assert summary["settings"]["reference_base"] == tiny_base and "first V_after" in summary["queries_label"]
    ref = summary["reference"]
    assert ref["model"]["name"] == tiny_base and ref["model"]["args"]["dtype"] == "float32"
    assert ref["n_used"] == 1 and ref["excluded"]["reasons"] == {"no content text before the first image": 1}
    assert ref["mean_token_counts"]["image"] == 0 < ref["mean_token_counts"]["before"]
    assert ref["curves"]["image"]["mean"] == [0.0] * ref["n_layers"]

    # the base run on its own gives the same masses; its V_before / V_after are the MLLM's text spans
    base = load_model(tiny_base, {"dtype": "float32"})
    requests = laws_requests(load_dataset_dir(laws_dataset), None)
    alone = attention_mass(base, requests, LawsOptions(queries="after-image"))
    with np.load(reference_run / "laws_reference.npz") as data:
        assert list(data["keys"]) == ["tv#1", "v#0"]
        np.testing.assert_allclose(data["masses"][0], np.array(alone[0].masses), rtol=1e-6)
        assert data["n_queries"][0] == alone[0].n_queries > 0
    mllm_row = prepare_wings(wings_adapter, requests[:1], LawsOptions())[0]
    base_row = prepare_causal(base, requests[:1], LawsOptions())[0]
    for label in (BEFORE, AFTER):
        texts = [tok.decode([t for t, lab in zip(row.ids, row.segments.labels) if lab == label])
                 for tok, row in ((wings_adapter.processor.tokenizer, mllm_row), (base.tokenizer, base_row))]
        assert "".join(texts[0].split()) == "".join(texts[1].split()) != ""

    # the model's shift minus the base's, paired by dialogue (one usable here)
    diff = ref["shift_difference"]
    assert diff["n"] == 1 and diff["value"] == pytest.approx(summary["shift"]["value"] - ref["shift"]["value"])
    assert (reference_run / "laws_curves.png").is_file()


def test_default_is_the_paper_definition_labelled_so(laws_dataset, wings_dir, tmp_path):
    assert run_cli("--model", f"wings:{wings_dir}", "--data", str(laws_dataset), "--n-boot", "200",
                   "--output", str(tmp_path)) == 0
    summary = json.loads((tmp_path / "laws_summary.json").read_text())
    assert summary["settings"]["queries"] == "all" and summary["settings"]["reference_base"] is None
    assert summary["variant"] == "content-include-sum" and "the paper's definition" in summary["queries_label"]
    assert "reference" not in summary and not (tmp_path / "laws_reference.npz").exists()


def test_reference_that_sees_images_or_args_without_a_reference_exit_2(laws_dataset, wings_dir, tmp_path):
    with pytest.raises(UserError, match="takes images") as info:
        run_cli("--model", f"wings:{wings_dir}", "--data", str(laws_dataset), "--reference-base",
                f"wings:{wings_dir}", "--output", str(tmp_path / "a"))
    assert info.value.exit_code == 2 and "\n" not in str(info.value)
    with pytest.raises(UserError, match="needs --reference-base"):
        run_cli("--model", f"wings:{wings_dir}", "--data", str(laws_dataset), "--reference-base-args",
                "dtype=float32", "--output", str(tmp_path / "b"))
    assert not (tmp_path / "a" / "laws_summary.json").exists()
