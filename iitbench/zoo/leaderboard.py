"""`leaderboards/zoo.md`: the zoo accuracy tables, written from the `zoo_card.json` files only (no hard-coded numbers).

Table 1: text-suite accuracy per synth text family + mean for base-tiny, llava-tiny and wings-tiny (forgetting =
an MLLM's drop below base-tiny, with the paired delta, CI and McNemar p the MLLM's card records). Table 2: mm-suite (visual) accuracy of the two MLLMs. Table 3 (when sweep cards
exist): every sweep variant's text mean, its change vs base-tiny, and its mm mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from iitbench.zoo import CARD_FILE
from iitbench.zoo.cards import read_card

MAIN = ("base-tiny", "llava-tiny", "wings-tiny")
MLLMS = ("llava-tiny", "wings-tiny")


def _suite(card: Mapping[str, Any], suite: str) -> dict[str, Any] | None:
    """A card's summary for `suite`: base-tiny stores the text suite flat, MLLMs store {"text": ..., "mm": ...}."""
    ev = card.get("eval") or {}
    if ev.get("suite") == suite:
        return ev
    inner = ev.get(suite)
    return inner if isinstance(inner, dict) and "mean" in inner else None


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _paired(card: Mapping[str, Any]) -> str:
    """"-4.3 [-8.0, -0.6], p=0.03": the card's paired text delta vs base-tiny (None for cards without one)."""
    p = (card.get("eval") or {}).get("text_vs_base")
    if not p or p.get("delta") is None:
        return "–"
    lo, hi = p["delta_ci95"]
    return f"{100 * p['delta']:+.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}], p={p['mcnemar_p']:.2g}"


def _family_table(cards: Mapping[str, Mapping[str, Any]], names: tuple[str, ...], suite: str) -> list[str]:
    present = [n for n in names if n in cards and _suite(cards[n], suite)]
    if not present:
        return [f"_No {suite}-suite results in the cards yet._"]
    summaries = {n: _suite(cards[n], suite) for n in present}
    families = sorted({f for s in summaries.values() for f in s["families"]})
    lines = ["| family | " + " | ".join(present) + " |", "|---|" + "---:|" * len(present)]
    for fam in families:
        lines.append(f"| {fam} | " + " | ".join(_pct(summaries[n]["families"].get(fam)) for n in present) + " |")
    lines.append("| **mean** | " + " | ".join(f"**{_pct(summaries[n]['mean'])}**" for n in present) + " |")
    lines.append("| items | " + " | ".join(str(summaries[n]["n"]) for n in present) + " |")
    if suite == "text" and any(_paired(cards[n]) != "–" for n in present):
        lines.append("| paired Δ vs base-tiny [95% CI], McNemar p | " +
                     " | ".join(_paired(cards[n]) for n in present) + " |")
    return lines


def _sweep_table(cards: Mapping[str, Mapping[str, Any]]) -> list[str]:
    base = _suite(cards.get("base-tiny", {}), "text")
    rows = sorted(n for n in cards if n not in MAIN and _suite(cards[n], "text"))
    if not rows:
        return []
    lines = ["", "## Sweep", "", "Paired Δ: the variant minus base-tiny on the same text items, paired bootstrap 95% CI, "
             "McNemar's exact p.", "",
             "| variant | method | steps | LLM LR | text mean | vs base-tiny (paired Δ [95% CI], p) | mm mean |",
             "|---|---|---:|---:|---:|---|---:|"]
    for name in rows:
        card = cards[name]
        text, mm = _suite(card, "text"), _suite(card, "mm")
        delta = _paired(card)
        if delta == "–" and base is not None:  # an older card: the unpaired difference of means
            delta = f"{100 * (text['mean'] - base['mean']):+.1f}"
        stages = card.get("recipe", {}).get("stages", [])
        steps = "+".join(str(s["steps"]) for s in stages)
        lr = stages[-1].get("lr_llm") if stages else None  # the last stage's: the one that can make it forget
        lr = "frozen" if stages and "llm" not in (stages[-1].get("train") or ("llm",)) else (lr or "–")
        lines.append(f"| {name} | {card.get('method', '?')} | {steps} | {lr} | {_pct(text['mean'])} | {delta} | "
                     f"{_pct(mm['mean'] if mm else None)} |")
    return lines


def _summary(cards: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One sentence per MLLM: its paired text change vs base-tiny and its visual accuracy (from the cards)."""
    lines = []
    for name in MLLMS:
        card = cards.get(name, {})
        mm = _suite(card, "mm")
        if _paired(card) != "–" and mm:
            lines.append(f"- **{name}** ({card.get('method', '?')}): text vs base-tiny {_paired(card)} (points); "
                         f"visual {_pct(mm['mean'])}%.")
    return ["## Summary", "", *lines, ""] if lines else []


def _seed_table(cards: Mapping[str, Mapping[str, Any]], replicates: Sequence[Mapping[str, Any]]) -> list[str]:
    """The headline MLLMs retrained with other training seeds (same data and backbones), next to the shipped ones."""
    runs = [c for c in (*(cards[n] for n in MLLMS if n in cards), *replicates) if c.get("name") in MLLMS]
    if not replicates or not runs:
        return []
    lines = ["", "## Training seeds", "", "The MLLM stages retrained with other seeds on the same data and backbones.", "",
             "| model | seed | text | vs base-tiny (paired Δ [95% CI], p) | visual |", "|---|---:|---:|---|---:|"]
    for c in sorted(runs, key=lambda c: (c["name"], c.get("seed", 0))):
        text, mm = _suite(c, "text"), _suite(c, "mm")
        lines.append(f"| {c['name']} | {c.get('seed')} | {_pct(text['mean'] if text else None)} | {_paired(c)} | "
                     f"{_pct(mm['mean'] if mm else None)} |")
    return lines


def zoo_table(cards: Mapping[str, Mapping[str, Any]], replicates: Sequence[Mapping[str, Any]] = ()) -> str:
    """Markdown for the given cards (name -> card dict); `replicates`: cards of the same models at other seeds."""
    seeds = sorted({str(c.get("seed")) for c in (*cards.values(), *replicates)})
    lines = ["# Zoo leaderboard", "",
             "Accuracy (%) on IIT-synth test-split suites (4 options, chance 25%), from each model's zoo_card.json. "
             f"Build seed(s): {', '.join(seeds) or '–'}. Within one seed, differences under ~5 points on a mean are "
             "noise (a 350-item mean near 50% has a standard error of ≈ 2.7 points).", "", *_summary(cards),
             "## Text suite (forgetting)", "", *_family_table(cards, MAIN, "text"), "",
             "## Visual (mm suite)", "", *_family_table(cards, MLLMS, "mm"), *_seed_table(cards, replicates),
             *_sweep_table(cards)]
    return "\n".join(lines) + "\n"


def read_cards(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Every `<out_dir>/<name>/zoo_card.json`, by directory name."""
    return {p.parent.name: read_card(p.parent) for p in sorted(Path(out_dir).glob(f"*/{CARD_FILE}"))}


def write_leaderboard(path: Path, *card_dirs: Path) -> Path:
    """Write the table from the cards under `card_dirs` (later dirs add sweep variants; first wins on a name, and a
    later card of the same model with another seed is listed as a seed replicate)."""
    cards: dict[str, dict[str, Any]] = {}
    replicates: list[dict[str, Any]] = []
    for d in card_dirs:
        for name, card in read_cards(d).items():
            if name in cards and card.get("seed") != cards[name].get("seed"):
                replicates.append(card)
            cards.setdefault(name, card)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(zoo_table(cards, replicates), encoding="utf-8")
    return path


__all__ = ["read_cards", "write_leaderboard", "zoo_table"]
