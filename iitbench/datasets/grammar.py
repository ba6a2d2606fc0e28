"""The config grammar: a config is any non-empty string over {T, V}, one letter per turn, the last one scored."""

from __future__ import annotations

from iitbench.data.manifest import check_config
from iitbench.errors import DataError, UserError

# The paper's six configurations (Fig. 5), from text-only-rich to multimodal-rich.
DEFAULT_CONFIGS: tuple[str, ...] = ("T", "TT", "TTT", "TTV", "TV", "V")


def parse_configs(spec: str | None, flag: str = "--configs") -> tuple[str, ...]:
    """Parse a comma-separated list such as "T,TT,TTV"; None or "" gives the paper's six. Order kept, duplicates dropped."""
    if spec is None or not spec.strip():
        return DEFAULT_CONFIGS
    out: list[str] = []
    for raw in spec.split(","):
        config = raw.strip().upper()
        if not config:
            raise UserError(f"{flag} {spec!r}: empty config between commas; use e.g. T,TT,TTV")
        try:
            check_config(config, f"{flag} {spec!r}")
        except DataError as e:  # a flag is usage, not data: re-raise as a plain UserError
            raise UserError(str(e)) from None
        if config not in out:
            out.append(config)
    return tuple(out)
