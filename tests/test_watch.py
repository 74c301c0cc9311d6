"""The watcher (rag.watch): a change re-indexes within seconds, a file still being written waits until complete."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rag.watch import relevant, settle, watch


def test_settle_waits_until_a_file_stops_growing(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("start ")

    def write_slowly():
        for _ in range(6):
            time.sleep(0.3)
            with path.open("a") as handle:
                handle.write("more words ")

    writer = threading.Thread(target=write_slowly)
    started = time.monotonic()
    writer.start()
    settle([path], seconds=0.5)
    assert not writer.is_alive() and time.monotonic() - started >= 1.8
    writer.join()


def test_only_documents_count_as_changes():
    assert relevant(None, "/docs/report.pdf") and relevant(None, "/docs/sub")  # a removed folder may hold documents
    assert not relevant(None, "/docs/.report.pdf.swp") and not relevant(None, "/docs/photo.psd")


def test_watch_reindexes_an_added_changed_and_removed_file(fake_rag, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("The owl lives in the old barn by the river.")
    fake_rag.index([folder])
    reports, stop = [], threading.Event()

    def again():
        reports.append(fake_rag.index([folder]))

    thread = threading.Thread(target=watch, args=([folder], again), kwargs={"stop": stop, "debounce_ms": 200,
                                                                              "settle_seconds": 0.2})
    thread.start()
    try:
        time.sleep(0.5)  # the watcher is listening
        steps = [lambda: (folder / "b.txt").write_text("The fox lives in a den under the oak tree."),
                 lambda: (folder / "a.txt").write_text("The owl moved to the church tower last spring."),
                 lambda: (folder / "b.txt").unlink()]
        expected = [(2, 1, 0), (2, 1, 1), (1, 0, 1)]  # documents, new or changed, dropped
        for step, (documents, changed, dropped) in zip(steps, expected):
            count = len(reports)
            step()
            deadline = time.monotonic() + 10
            while len(reports) == count and time.monotonic() < deadline:
                time.sleep(0.05)
            report = reports[-1]
            assert (report.documents, report.changed, report.dropped) == (documents, changed, dropped)
        assert {Path(c.source).name for c in fake_rag.store.chunks} == {"a.txt"}
        assert "church tower" in fake_rag.store.chunks[0].text
    finally:
        stop.set()
        thread.join(5)
