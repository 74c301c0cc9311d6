"""Sanity checks for the gold QA sets eval/seeds.jsonl and eval/heldout.jsonl.

Plain pytest, no project imports. The corpus is read from <repo>/seeds/. Every
check runs once per gold file.
Optional environment overrides: GOLD_FILE (check only that gold set) and
GOLD_SEEDS_DIR (another corpus folder).
"""
import json
import os
import re
import string
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOLD_OVERRIDE = os.environ.get("GOLD_FILE")
GOLD_FILES = ([Path(GOLD_OVERRIDE)] if GOLD_OVERRIDE
              else [ROOT / "eval" / "seeds.jsonl", ROOT / "eval" / "heldout.jsonl"])
SEEDS_DIR = Path(os.environ.get("GOLD_SEEDS_DIR") or (ROOT / "seeds"))

REQUIRED = {
    "id": str,
    "question": str,
    "answers": list,
    "evidence": list,
    "answerable": bool,
    "type": str,
}
TYPES = {"fact", "number", "date", "multi_doc", "conflict", "unanswerable"}
MIN_QUESTIONS = 60
MIN_UNANSWERABLE = 12
MIN_MULTI_DOC = 6

_PUNCT = set(string.punctuation)


def normalize(text):
    """SQuAD answer normalization: lowercase, drop punctuation and articles, collapse spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def load_gold(path):
    """The records of one gold file, one JSON object per non-empty line."""
    assert path.is_file(), f"missing gold file {path}"
    out = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - failure path
                pytest.fail(f"{path.name}:{lineno} does not parse: {exc}")
            assert isinstance(rec, dict), f"{path.name}:{lineno} is not a JSON object"
            out.append(rec)
    return out


@pytest.fixture(scope="module", params=GOLD_FILES, ids=lambda path: path.name)
def records(request):
    return load_gold(request.param)


@pytest.fixture(scope="module")
def corpus():
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"corpus folder {SEEDS_DIR} not found (set GOLD_SEEDS_DIR to override)")
    texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))}
    assert texts, f"no .txt files in {SEEDS_DIR}"
    return texts


def test_keys_and_types(records):
    for rec in records:
        rid = rec.get("id")
        assert set(rec) == set(REQUIRED), f"{rid}: keys {sorted(rec)} != {sorted(REQUIRED)}"
        for key, typ in REQUIRED.items():
            assert isinstance(rec[key], typ), f"{rid}: {key} should be {typ.__name__}"
        assert rec["id"].strip(), "empty id"
        assert rec["question"].strip(), f"{rid}: empty question"
        assert rec["type"] in TYPES, f"{rid}: unknown type {rec['type']!r}"
        assert rec["answerable"] == (rec["type"] != "unanswerable"), \
            f"{rid}: answerable flag does not match type {rec['type']}"
        for ans in rec["answers"]:
            assert isinstance(ans, str) and normalize(ans), f"{rid}: bad answer {ans!r}"
        for ev in rec["evidence"]:
            assert isinstance(ev, dict) and set(ev) == {"source", "quote"}, f"{rid}: bad evidence {ev!r}"
            assert isinstance(ev["source"], str) and isinstance(ev["quote"], str), f"{rid}: bad evidence {ev!r}"
            assert ev["quote"].strip(), f"{rid}: empty quote"


def test_ids_and_questions_unique(records):
    ids = [r["id"] for r in records]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    assert not dup, f"duplicate ids: {dup}"
    qs = [normalize(r["question"]) for r in records]
    dupq = sorted({q for q in qs if qs.count(q) > 1})
    assert not dupq, f"duplicate questions: {dupq}"


def test_no_question_shared_between_files():
    """A held-out question must not repeat a question of another gold file."""
    seen = {}
    problems = []
    for path in GOLD_FILES:
        for q in {normalize(rec["question"]) for rec in load_gold(path)}:
            if q in seen:
                problems.append(f"{path.name} repeats a question of {seen[q]}: {q!r}")
            seen[q] = path.name
    assert not problems, "\n".join(problems)


def test_counts(records):
    assert len(records) >= MIN_QUESTIONS
    unanswerable = [r for r in records if not r["answerable"]]
    assert len(unanswerable) >= MIN_UNANSWERABLE
    assert sum(r["type"] == "multi_doc" for r in records) >= MIN_MULTI_DOC
    assert any(r["type"] == "conflict" for r in records)


def test_answerable_consistency(records):
    for rec in records:
        rid = rec["id"]
        if rec["answerable"]:
            assert rec["answers"], f"{rid}: answerable question without answers"
            assert rec["evidence"], f"{rid}: answerable question without evidence"
        else:
            assert rec["answers"] == [], f"{rid}: unanswerable question with answers"
            assert rec["evidence"] == [], f"{rid}: unanswerable question with evidence"
        if rec["type"] == "multi_doc":
            sources = {ev["source"] for ev in rec["evidence"]}
            assert len(sources) >= 2, f"{rid}: multi_doc needs evidence from two sources"
        if rec["type"] == "conflict":
            assert len(rec["evidence"]) >= 2, f"{rid}: conflict needs evidence for each side"


def test_evidence_quotes_verbatim(records, corpus):
    problems = []
    for rec in records:
        for ev in rec["evidence"]:
            text = corpus.get(ev["source"])
            if text is None:
                problems.append(f"{rec['id']}: unknown source {ev['source']!r}")
            elif ev["quote"] not in text:
                problems.append(f"{rec['id']}: quote not in {ev['source']}: {ev['quote'][:80]!r}")
    assert not problems, "\n".join(problems)


def test_every_seed_file_covered(records, corpus):
    cited = {ev["source"] for rec in records for ev in rec["evidence"]}
    missing = sorted(set(corpus) - cited)
    assert not missing, f"seed files never cited as evidence: {missing}"


def test_answers_supported_by_evidence(records):
    problems = []
    for rec in records:
        if not rec["answerable"] or rec["type"] in ("multi_doc", "conflict"):
            continue
        quotes = [normalize(ev["quote"]) for ev in rec["evidence"]]
        answers = [normalize(a) for a in rec["answers"]]
        if not any(a in q for a in answers for q in quotes):
            problems.append(f"{rec['id']}: no answer {rec['answers']} occurs in its evidence")
    assert not problems, "\n".join(problems)
