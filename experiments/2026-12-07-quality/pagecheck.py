"""For every citation of a rag eval run over PDFs: the page rag names, and whether the cited text is on that page of the PDF."""
import json, re, sys
from bisect import bisect_right
import pypdfium2 as pdfium
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from rag.loaders import load

def norm(t):
    return re.sub(r"[^a-z0-9]", "", t.lower())

rows = [json.loads(l) for l in open(sys.argv[1] + "/rows.jsonl")]
docs, pages_text = {}, {}
total = right = spanning = 0
for r in rows:
    for c in r["citations"]:
        src = c["source"]
        if src not in docs:
            docs[src] = load(__import__("pathlib").Path(src))
            pdf = pdfium.PdfDocument(src)
            pages_text[src] = [norm(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
        loaded = docs[src]
        starts = list(loaded.pages)
        page = bisect_right(starts, c["start"])  # 1-based page of the start, as rag names it
        last = bisect_right(starts, c["end"] - 1)
        text = norm(loaded.text[c["start"]:c["end"]])
        total += 1
        if last != page:
            spanning += 1
            ok = norm("".join(pages_text[src][page - 1:last])).find(text) >= 0 or text[:40] in pages_text[src][page - 1]
        else:
            ok = text in pages_text[src][page - 1]
        right += ok
print(f"{total} citations; the cited text is on the page named: {right}; spanning a page break (named by the page they start on): {spanning}")
