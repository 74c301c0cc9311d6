"""Plain-text renderings of answers and their sources, shared by `rag ask` and `rag chat`."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .types import Answer, Citation, Hit

QUOTE_CHARS = 160


def source_line(citation: Citation) -> str:
    """`[n] title — file, date`."""
    date = f", {citation.date.isoformat()}" if citation.date else ""
    return f"[{citation.number}] {citation.title} — {Path(citation.source).name}{date}"


def location(citation: Citation) -> str:
    """Where in its document the citation is: `p. 12, § Heading`, or "" for a plain text file."""
    return ", ".join(part for part in (citation.page and f"p. {citation.page}",
                                       citation.section and f"§ {citation.section}") if part)


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """The text on one line, shortened to `limit` characters."""
    return f"“{textwrap.shorten(' '.join(text.split()), limit, placeholder=' …')}”"


def sources_block(answer: Answer) -> str:
    """The cited sources, one line each with the quoted span beneath."""
    if answer.abstained:
        return ""
    lines, shown = [], set()
    for citation in answer.citations:
        if citation.number not in shown:
            shown.add(citation.number)
            lines.append(source_line(citation))
        lines.append(f"    {where}: {quote(citation.text)}" if (where := location(citation)) else f"    {quote(citation.text)}")
    lines += [f"unsupported by the sources: {sentence}" for sentence in answer.unsupported]
    return "\n".join(lines)


def passage(number: int, hit: Hit, cited: bool) -> str:
    """One retrieved passage in full, as `/sources` shows it."""
    chunk = hit.chunk
    mark = "cited" if cited else "not cited"
    page = chunk.page_at(chunk.start)
    where = f"p. {page}, " if page else ""
    header = (f"[{number}] {chunk.title} — {Path(chunk.source).name} {where}chars {chunk.start}-{chunk.end} "
              f"(score {hit.score:.3f}, {mark})")
    return header + "\n" + textwrap.indent(chunk.text.strip(), "    ")
