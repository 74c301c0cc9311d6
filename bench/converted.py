"""The seed articles as the files people keep: a multi-page PDF, a Word file and a web page each.

    python -m bench.converted OUT        # OUT/pdf, OUT/docx, OUT/html, OUT/scan, OUT/txt: five files each

The PDF is small pages (A5, 148 x 210 mm) with a running header and footer and words hyphenated at line
ends, so the loader's cleaning has something to do; the web page wraps the article in a menu,
a cookie banner, a sidebar and a footer, which the loader must leave out. The scan is the same
A5 pages drawn as images at 200 dpi (`write_scan`), a PDF with no text layer that only OCR
reads. `rag eval` over each folder is then comparable with the `.txt` versions:
`rag eval --gold eval/seeds.jsonl:OUT/pdf`. The writers and `convert` live in tests/builders.py.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.builders import convert

from .measure import ROOT


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.converted", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write pdf/, docx/, html/, scan/ and txt/ into")
    parser.add_argument("--source", type=Path, default=ROOT / "seeds", help="folder of .txt articles")
    options = parser.parse_args()
    for kind, folder in convert(options.source, options.out).items():
        print(f"{kind}: {folder}")


if __name__ == "__main__":
    main()
