"""Run the benchmarks and print one Markdown section per benchmark; also write them to bench/results/.

    python -m bench            # the full run (20 questions; 10k, 100k and 1M chunks)
    python -m bench --quick    # a smoke test: 3 questions, 10k chunks
    python -m bench --only ask,startup
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import subprocess
import time

from .measure import MODEL, ROOT, load

BENCHMARKS = ("ask", "peer", "startup", "scale", "quality", "formats", "cleaning", "serve", "mcp", "store", "ocr",
              "ligatures", "scanned", "tables")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 questions, 10k chunks: a smoke test")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {','.join(BENCHMARKS)}")
    parser.add_argument("--questions", type=int, help="answerable gold questions to ask (default 20, quick 3)")
    parser.add_argument("--model", default=MODEL, help="bundled model name or GGUF path")
    parser.add_argument("--scales", help="comma-separated chunk counts (default 10000,100000,1000000)")
    parser.add_argument("--hnsw-max", type=int, default=1_000_000, help="largest size at which HNSW is built")
    parser.add_argument("--rgb", default=str(ROOT.parent / "shared" / "external" / "rgb"),
                        help="folder of RGB's gold sets, used by `quality` where it exists")
    parser.add_argument("--out", help="Markdown file to write, records beside it as .json "
                        "(default bench/results/DATE[-quick].md)")
    options = parser.parse_args()
    only = [name.strip() for name in options.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]}; choose from {', '.join(BENCHMARKS)}")
    options.questions = options.questions or (3 if options.quick else 20)
    default_scales = "10000" if options.quick else "10000,100000,1000000"
    options.scales = [int(s) for s in (options.scales or default_scales).split(",")]
    options.queries = 100 if options.quick else 500
    # The retrieval target is stated at 100k chunks; a quick run times it at its one small size.
    options.records = {}
    options.retrieval_at = 100_000 if 100_000 in options.scales else min(options.scales)

    stamp = dt.datetime.now().strftime("%Y-%m-%dT%H%M")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    header = (f"# rag benchmarks {stamp}{' (quick)' if options.quick else ''}\n\n"
              f"commit {commit}, model {options.model}, {options.questions} questions; at start: {load()}")
    print(header, flush=True)
    sections = [header]
    for name in only:
        started = time.perf_counter()
        section = importlib.import_module(f"bench.{name}").run(options)
        section += f"\n\n_{name}: {time.perf_counter() - started:.0f} s wall_"
        print("\n" + section, flush=True)
        sections.append(section)
    out = ROOT / (options.out or f"bench/results/{stamp}{'-quick' if options.quick else ''}.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    if options.records:
        # Every answer and timing behind the tables, to check a figure or an accuracy count.
        out.with_suffix(".json").write_text(json.dumps(options.records, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
