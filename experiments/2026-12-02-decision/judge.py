"""Re-judge a run's candidate answers with a bare passage prompt by MODEL; writes OUT/<set>/rows.jsonl with signals.judge replaced."""
import json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from rag.settings import Settings
from rag.models import resolve_model
from rag.generation.llama import LlamaCppGenerator
from rag.answer.prompt import load_prompt
from rag.answer.decision import Signals, outright
from rag.text import strip_markers
run, model, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
s = Settings.load() if hasattr(Settings, "load") else Settings()
gen = LlamaCppGenerator(resolve_model(model, cache_dir=s.cache_dir, models_dir=s.models_dir), name=model, context_window=4096, threads=2, temperature=0.0, seed=0)
times = []
for f in sorted(run.glob("*/rows.jsonl")):
    (out / f.parent.name).mkdir(parents=True, exist_ok=True)
    rows = []
    for l in f.read_text().splitlines():
        r = json.loads(l); sg = r.get("signals")
        if sg and outright(Signals(**sg)) is None:
            import re
            cited = sorted({c["number"] for c in r["citations"]} or {int(m) for m in re.findall(r"\[(\d+)\]", r["raw"]) if 0 < int(m) <= len(r["passages"])})
            if not cited:
                rows.append(r); continue
            passages = "\n\n".join(r["passages"][n - 1] for n in cited)
            msg = [{"role": "user", "content": load_prompt("check_passage").format(passage=passages, answer=strip_markers(r["raw"]), question=r["question"]).strip()}]
            t = time.perf_counter(); sg["judge"] = gen.yes_probability(msg); times.append(time.perf_counter() - t)
        rows.append(r)
    (out / f.parent.name / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
times.sort(); print("judge calls", len(times), "median s", times[len(times)//2] if times else None)
