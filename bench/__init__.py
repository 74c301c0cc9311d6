"""Speed benchmarks: `python -m bench` runs them all and prints one Markdown table per benchmark.

Each benchmark module has `run(options) -> str` (its Markdown section). Systems whose memory is
measured (ours, raw llama.cpp, LlamaIndex, the CLI) run in their own subprocess each.
"""
