"""Convert an official-layout WINGS checkpoint into the wings_ref format (safetensors + WingsConfig).

    python -m wings_ref.convert SRC_DIR OUT_DIR [--mode official|clean] [--dtype auto|bfloat16|float16|float32]

OUT_DIR then loads with `WingsForConditionalGeneration.from_pretrained(OUT_DIR)`; its config records the mode.
Tokenizer files found in SRC_DIR are copied, and a README states the licences of the weights.
Exit 0 on success, 2 on a bad checkpoint or arguments (one line on stderr).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch

from .configuration_wings import MODES
from .errors import CheckpointError, OneLineParser, check_new_output, unwritable_message
from .official import read_official

DTYPES = {"auto": None, "bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
                   "added_tokens.json")
MODEL_CARD = """# WINGS checkpoint converted to the wings_ref format

Converted from `{source}` with `python -m wings_ref.convert` (mode `{mode}`; see wings_ref/official.py for what the
modes change). Licences: the LLM weights derive from Qwen1.5-7B-Chat and are under the Tongyi Qianwen licence
agreement; the vision tower derives from SigLIP-so400m-patch14-384 (Apache-2.0); the WINGS code is Apache-2.0.
"""


def _layers_kept(text: str) -> int:
    """--vision-layers-kept: checked here so the message names the flag (read_official names its keyword)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: keep at least one SigLIP layer (the release keeps all but "
                                         "the last)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="wings_ref.convert", description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="official-layout checkpoint directory (safetensors shards + config.json)")
    parser.add_argument("out", type=Path, help="output directory (created; must be empty if it exists)")
    parser.add_argument("--mode", choices=MODES, default="official", help="semantics recorded in the config")
    parser.add_argument("--dtype", choices=sorted(DTYPES), default="auto", help="auto keeps the checkpoint's dtype")
    parser.add_argument("--allow-pickle", action="store_true", help="accept *.bin/*.pt weights (weights_only load)")
    parser.add_argument("--vision-layers-kept", type=_layers_kept, default=None,
                        help="SigLIP layers to keep (default: all but the last, as the released model)")
    return parser


def convert(src: Path, out: Path, mode: str = "official", dtype: torch.dtype | None = None,
            allow_pickle: bool = False, vision_layers_kept: int | None = None) -> Path:
    """Load `src` with the official-layout loader and save it to `out` with `save_pretrained` (safetensors)."""
    check_new_output(out)
    loaded = read_official(src, mode, dtype, allow_pickle=allow_pickle, vision_layers_kept=vision_layers_kept)
    partial = out.with_name(out.name + ".partial")  # written whole, then renamed: never a half-written OUT_DIR
    shutil.rmtree(partial, ignore_errors=True)
    try:
        loaded.model.save_pretrained(partial)
        for name in TOKENIZER_FILES:
            if (src / name).is_file():
                shutil.copy2(src / name, partial / name)
        (partial / "README.md").write_text(MODEL_CARD.format(source=src.name, mode=mode))
    except BaseException:  # a full disk, an interrupt: leave no 16 GB half-copy behind
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if out.is_dir():
        out.rmdir()  # empty (checked above)
    partial.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        out = convert(args.src, args.out, args.mode, DTYPES[args.dtype], args.allow_pickle, args.vision_layers_kept)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a disk that fills up after the output check passed
        message = unwritable_message(exc, args.out)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    print(f"wrote {out} (mode {args.mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
