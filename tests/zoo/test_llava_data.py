import json

import pytest

from iitbench.errors import DataError
from iitbench.zoo.llava_data import LlavaDataSpec, check_llava_data, write_llava_data

SPEC = LlavaDataSpec(n_visual_per_family=2, n_text_per_family=1, n_mixed=12, seed=0)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    return write_llava_data(tmp_path_factory.mktemp("llava"), SPEC)


def test_written_file_is_valid_and_mixes_text_and_image_dialogues(written):
    records = json.loads(written.read_text())
    assert check_llava_data(written) == len(records) == 7 * 2 + 7 + 12
    assert any("image" in r for r in records) and any("image" not in r for r in records)
    assert any(len(r["conversations"]) >= 4 for r in records)
    for r in records:
        if "image" in r:
            assert not r["image"].startswith("/") and (written.parent / r["image"]).is_file()
            assert sum(c["value"].count("<image>") for c in r["conversations"]) == 1
        # Each gpt reply is the gold option's text (the zoo's answer format), one of the options listed before it.
        for human, gpt in zip(r["conversations"][0::2], r["conversations"][1::2]):
            options = [ln[3:] for ln in human["value"].split("\n") if ln[:3] in ("A. ", "B. ", "C. ", "D. ")]
            assert gpt["value"] in options


def test_same_seed_gives_same_bytes(written, tmp_path):
    again = write_llava_data(tmp_path, SPEC)
    assert again.read_bytes() == written.read_bytes()


def test_check_rejects_an_image_token_without_an_image(written, tmp_path):
    records = json.loads(written.read_text())
    bad = next(r for r in records if "image" in r)
    del bad["image"]
    path = tmp_path / "llava.json"
    path.write_text(json.dumps(records))
    with pytest.raises(DataError, match="<image>"):
        check_llava_data(path)
