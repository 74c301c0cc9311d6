"""Which rgb-rejection questions are answered by their own "negative" passages.

    .venv/bin/python experiments/2026-12-07-issue25/rejection_answerable.py

A question counts as answerable when one of its passages in rejection-corpus/ holds a gold
answer of the same question in gold.jsonl (rag.scoring.contains_answer, as `rag eval` scores)
and the sentence holding it says what the question asks; the script prints every such sentence,
and the ids judged by reading them are in ANSWERABLE below, each with why.
"""
import json
from pathlib import Path

from recorded import HERE  # noqa: F401  (puts the project on sys.path)

from rag.scoring import contains_answer
from rag.text import split_sentences

RGB = Path(__file__).resolve().parents[2].parent / "shared" / "external" / "rgb"


def main() -> None:
    gold = {json.loads(line)["id"][3:]: json.loads(line) for line in (RGB / "gold.jsonl").read_text().splitlines()}
    for line in (RGB / "rejection.jsonl").read_text().splitlines():
        question = json.loads(line)
        number = question["id"][3:]
        answers = gold[number]["answers"]
        for path in sorted((RGB / "rejection-corpus").glob(f"rgb{number}_n*.txt")):
            for sentence in split_sentences(path.read_text()):
                if contains_answer(sentence, answers):
                    said = " ".join(sentence.split())[:200]
                    print(f"{question['id']} {question['question']!r} gold {answers[0]!r}: {path.name}: {said}")



# Read from the cited sentences of the 1.5B's and 0.5B's answers (rows.jsonl of 2026-12-07-quality)
# and the passages: "stated" when a sentence alone answers the question, "implied" when it does
# with one fact it leaves out (which Super Bowl was 2021's).
ANSWERABLE = {
    "rej002": ("stated", "acquired by Meta for $1.0 billion in 2012 (Meta is Facebook)"),
    "rej026": ("stated", "OpenAI was founded in 2015 (the year only; gold is December 2015)"),
    "rej030": ("stated", "Cameron, who directed the first film"),
    "rej040": ("stated", "the iPhone 11 ... was released on September 20th"),
    "rej052": ("stated", "The Last Of Us Part II ; Release: 6/19/2020"),
    "rej054": ("stated", "Season 4 debut on Netflix on Nov 15"),
    "rej056": ("stated", "Cameron defied critics with Titanic, his screen adaptation"),
    "rej058": ("stated", "Mulan starring Liu Yifei as the titular heroine"),
    "rej062": ("stated", "Musk, the founder and CEO of SpaceX and Tesla ... in 2021"),
    "rej072": ("stated", "Super Mario Odyssey ... Release Date:10/27/2017"),
    "rej088": ("stated", "revealed the Pixel 6 ... on 19th October"),
    "rej000": ("implied", "Super Bowl LV will be played in Tampa Bay, Florida (LV is 2021's)"),
    "rej036": ("implied", "Germany became the first European team to win a World Cup staged in the Americas (2014)"),
    "rej048": ("implied", "Professor Gurnah is being awarded the Nobel Prize for Literature (in 2021)"),
    "rej066": ("implied", "Gadot ... how Diana Prince became Wonder Woman (she plays her in 1984 too)"),
}


if __name__ == "__main__":
    main()
