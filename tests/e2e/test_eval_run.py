"""`rag eval` end to end on a few gold questions with the tiny model."""

import json
import os
import subprocess
import sys
from pathlib import Path

GOLD = Path(__file__).resolve().parents[2] / "eval" / "seeds.jsonl"


def test_eval_writes_consistent_reports(real_rag, real_env, tmp_path):
    lines = GOLD.read_text().splitlines()
    picked = [line for line in lines if json.loads(line)["answerable"]][:3] + \
             [line for line in lines if not json.loads(line)["answerable"]][:1]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(picked) + "\n")
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "rag", "eval", "--gold", str(gold), "--out", str(out),
                             "--min-accuracy", "1.01"],
                            capture_output=True, text=True, env={**os.environ, **real_env}, timeout=900)
    assert result.returncode == 1 and "below the bar: accuracy" in result.stderr  # the gate trips
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())
    metrics, stamp = summary["metrics"], summary["stamp"]
    assert [r["id"] for r in rows] == [json.loads(line)["id"] for line in picked]
    assert metrics["questions"] == 4 and metrics["answerable"] == 3 and metrics["unanswerable"] == 1
    assert metrics["accuracy"] == round(sum(r["correct"] for r in rows[:3]) / 3, 4)
    assert metrics["refusal_unanswerable"] == float(rows[3]["abstained"])
    assert 0 <= metrics["hit@1"] <= metrics["hit@3"] <= metrics["hit@5"] <= metrics["hit@10"] <= 1
    assert stamp["model"] == "smollm2-135m" and len(stamp["model_sha256"]) == 64 and stamp["settings_hash"]
    assert "| accuracy |" in (out / "report.md").read_text()
    assert "| accuracy |" in result.stdout
