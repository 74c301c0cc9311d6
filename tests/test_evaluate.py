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
    # The reader's own words are scored too, and every refusal is counted under its reason.
    assert [r["raw_correct"] for r in records] == [True, False, False] and summary["raw_accuracy"] == 0.5
    assert [r["reason"] for r in records] == [None, None, "reader_declined"]
    assert summary["refused:right:reader_declined"] == 1 and not any(k.startswith("refused:wrong") for k in summary)
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


def test_a_set_names_its_corpus_after_a_colon(tmp_path, seeds):
    gold = _gold(tmp_path, {"id": "a"})
    assert evaluate.parse_set(f"{gold}:{seeds}", tmp_path) == evaluate.GoldSet(f"{tmp_path.name}-gold", gold, seeds)
    assert evaluate.parse_set(str(seeds.parent / "eval" / "heldout.jsonl"), seeds).name == "heldout"
    with pytest.raises(InputError, match="no corpus folder"):
        evaluate.parse_set(f"{gold}:{tmp_path / 'nowhere'}", seeds)
    with pytest.raises(InputError, match="no gold file"):
        evaluate.parse_set(str(tmp_path / "missing.jsonl"), seeds)


def test_each_corpus_has_its_own_eval_index(tmp_path, seeds):
    first, again = evaluate.index_for(seeds, tmp_path), evaluate.index_for(seeds / ".." / "seeds", tmp_path)
    assert first == again and first.parent == tmp_path / "eval-index" and first.name.startswith("seeds-")
    assert evaluate.index_for(tmp_path, tmp_path) != first


def test_the_sets_table_has_a_row_per_set_and_refusals_by_reason(tmp_path, seeds):
    sets = [evaluate.GoldSet("seeds", tmp_path / "a.jsonl", seeds), evaluate.GoldSet("rgb", tmp_path / "b.jsonl", seeds)]
    summaries = [{"questions": 10, "accuracy": 0.8, "refused:right:off_topic": 2, "refused:wrong:unsupported": 1},
                 {"questions": 5, "accuracy": 0.6, "refused:wrong:off_topic": 3}]
    table = evaluate.sets_table(list(zip(sets, summaries)), model="m").splitlines()
    assert table[0] == "## m"
    assert table[4].startswith("| seeds | 10 | 0.800 |") and table[5].startswith("| rgb | 5 | 0.600 |")
    assert "| set | off_topic | unsupported |" in table
    assert "| seeds (right / wrong) | 2 / 0 | 0 / 1 |" in table and "| rgb (right / wrong) | 0 / 3 | 0 / 0 |" in table


def test_gold_sources_may_be_converted_copies(tmp_path, seeds):
    from builders import convert

    folders = convert(seeds, tmp_path / "converted")
    gold = evaluate.load_gold(seeds.parent / "eval" / "seeds.jsonl", seeds)
    for kind in ("pdf", "docx", "html"):
        converted = evaluate.load_gold(seeds.parent / "eval" / "seeds.jsonl", folders[kind])
        assert [q.id for q in converted] == [q.id for q in gold]
        for question in converted:
            for span in question.evidence:
                assert span.source.endswith(f".{kind}")
