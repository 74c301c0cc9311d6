import json

import pytest

from rag import evaluate
from rag.errors import InputError


def _gold(tmp_path, *records):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


QUOTE = "On Telegram, it said the troops had taken Rivnopillia and Mala Tokmachka in the Zaporizhzhia region."


def test_gold_evidence_is_located_in_the_corpus(tmp_path, seeds):
    path = _gold(tmp_path, {"id": "a", "question": "Which villages?", "answers": ["Rivnopillia"], "type": "fact",
                            "answerable": True, "evidence": [{"source": "000_38b3d92c6adbb77d.txt", "quote": QUOTE}]})
    (question,) = evaluate.load_gold(path, seeds)
    (span,) = question.evidence
    text = (seeds / "000_38b3d92c6adbb77d.txt").read_text()
    assert text[span.start:span.end] == QUOTE


@pytest.mark.parametrize("record,message", [
    ({"id": "a"}, "lacks answerable, answers, evidence, question, type"),
    ({"id": "a", "question": "q", "answers": [], "type": "fact", "answerable": True,
      "evidence": [{"source": "nope.txt", "quote": "x"}]}, "evidence source nope.txt is not in"),
    ({"id": "a", "question": "q", "answers": [], "type": "fact", "answerable": True,
      "evidence": [{"source": "000_38b3d92c6adbb77d.txt", "quote": "not in the text"}]}, "not verbatim"),
])
def test_bad_gold_lines_are_named(tmp_path, seeds, record, message):
    with pytest.raises(InputError, match=message):
        evaluate.load_gold(_gold(tmp_path, record), seeds)


def test_the_seed_gold_set_loads(seeds):
    gold = evaluate.load_gold(seeds.parent / "eval" / "seeds.jsonl", seeds)
    assert len(gold) >= 60 and sum(not q.answerable for q in gold) >= 12


def test_a_run_over_fakes_scores_consistently(indexed_fake, fake_llm, tmp_path, seeds):
    path = _gold(
        tmp_path,
        {"id": "a", "question": "Which villages in the Zaporizhzhia region did Russia take?", "answers": ["Rivnopillia"],
         "type": "fact", "answerable": True, "evidence": [{"source": "000_38b3d92c6adbb77d.txt", "quote": QUOTE}]},
        {"id": "b", "question": "Which villages in the Zaporizhzhia region did the Russian army capture?", "answers": ["Mars"], "type": "fact",
         "answerable": True, "evidence": [{"source": "000_38b3d92c6adbb77d.txt", "quote": QUOTE}]},
        {"id": "c", "question": "Who designed the Pokrovsk railway station?", "answers": [], "type": "unanswerable",
         "answerable": False, "evidence": []})
    gold = evaluate.load_gold(path, seeds)
    fake_llm.enqueue("The troops had taken Rivnopillia [1].", "The troops had taken Mala Tokmachka [1].", "I cannot find the answer in the provided documents.")
    records = evaluate.run(indexed_fake, gold)
    summary = evaluate.score(records)
    assert [r["correct"] for r in records] == [True, False, False]
    assert summary["accuracy"] == 0.5 and summary["refusal_unanswerable"] == 1.0
    assert summary["crag_score"] == round((1 - 1 + 1) / 3, 4)
    assert len(records[0]["retrieved"]) == evaluate.RETRIEVAL_DEPTH
    stamp = {"created": "t", "git_commit": "abc", "model": "fake", "model_sha256": "0" * 64,
             "settings_hash": "h", "gold": str(path), "wall_seconds": 1.0}
    evaluate.write(tmp_path / "run", records, summary, stamp)
    assert len((tmp_path / "run" / "rows.jsonl").read_text().splitlines()) == 3
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| accuracy | 0.500 |" in report and "Wrong (1 of 3)" in report
    other = dict(summary, accuracy=0.75)
    (tmp_path / "run2").mkdir()
    (tmp_path / "run2" / "summary.json").write_text(json.dumps({"stamp": stamp, "metrics": other}))
    table = evaluate.compare(tmp_path / "run", tmp_path / "run2")
    assert any(line.split() == ["accuracy", "0.500", "0.750", "+0.250"] for line in table.splitlines())
