"""Lost-ligature repair measured: clean text with the loss applied, then repaired (`rag.loaders.ligatures`).

    python -m bench --only ligatures

The text is RGB's news corpus where it is found (../shared/external/rgb, both corpora), else seeds/.
The loss is the one seen in typeset PDFs: each ffi and ffl keeps "ff", each fi, fl and ff keeps
"f". Counted over words: damaged by the loss, restored by the repair, left damaged, and changed
wrongly (repaired into another word, or an undamaged word changed).
"""

from __future__ import annotations

import re
from collections import Counter

from .measure import ROOT, table

_LIGATURE = re.compile(r"ff[il]|f[il]|ff")
_WORD = re.compile(r"[A-Za-z]+")


def damage(text: str) -> str:
    """`text` as a text layer that lost its ligatures' last letters shows it."""
    return _LIGATURE.sub(lambda match: match[0][:-1], text)


def measure(texts: list[str]) -> tuple[Counter, list[tuple[str, str, str]]]:
    """Counts over the words of `texts`, and the words changed wrongly (original, damaged, repaired)."""
    from rag.loaders.ligatures import repair

    counts: Counter = Counter()
    wrong = []
    for text in texts:
        broken = damage(text)
        fixed = repair(broken)
        for original, damaged, repaired in zip(_WORD.findall(text), _WORD.findall(broken), _WORD.findall(fixed)):
            counts["words"] += 1
            if damaged != original:
                counts["damaged"] += 1
                counts["restored" if repaired == original else "left damaged" if repaired == damaged else "wrong"] += 1
            elif repaired != original:
                counts["wrong"] += 1
            if repaired not in (original, damaged):
                wrong.append((original, damaged, repaired))
    return counts, wrong


def run(options) -> str:
    rgb = ROOT.parent / "shared" / "external" / "rgb"
    folder = rgb if rgb.is_dir() else ROOT / "seeds"
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.rglob("*.txt"))]
    counts, wrong = measure(texts)
    damaged = counts["damaged"]
    examples = ", ".join(f"{o}→{d}→{r}" for (o, d, r), _ in Counter(wrong).most_common(8))
    rows = [(folder.relative_to(ROOT.parent) if folder.is_relative_to(ROOT.parent) else folder, len(texts),
             counts["words"], damaged, f"{counts['restored']} ({counts['restored'] / max(damaged, 1):.1%})",
             f"{counts['left damaged']} ({counts['left damaged'] / max(damaged, 1):.1%})", counts["wrong"])]
    return ("## ligatures: repair of lost fi, fl, ff, ffi, ffl\n\n"
            + table(["text", "files", "words", "damaged", "restored", "left damaged", "changed wrongly"], rows)
            + f"\n\nMost frequent wrong changes (original→damaged→repaired): {examples or 'none'}")
