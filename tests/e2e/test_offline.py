"""`rag index`, `rag ask` and `rag eval` run with every network connection refused, and try none.

A `sitecustomize` module on PYTHONPATH loads into each `rag` process before anything else and
replaces socket connections and name lookups with a stub that writes what was attempted to a log
and raises. The test then checks that every command succeeded, that the stub was loaded in each
process, and that the log of attempts is empty.
"""

import json
import os
import subprocess
import sys
import textwrap

SITECUSTOMIZE = textwrap.dedent("""
    import json, os, socket, sys

    _LOG = os.environ["OFFLINE_TEST_ATTEMPTS"]

    def _record(what, target):
        with open(_LOG, "a") as log:
            log.write(json.dumps({"pid": os.getpid(), "call": what, "target": repr(target)}) + "\\n")

    def _refuse(what):
        def refuse(*args, **kwargs):
            _record(what, args[:2])
            raise OSError(f"network refused by the offline test: {what}")
        return refuse

    _connect = socket.socket.connect

    def connect(self, address, *args):
        if self.family == socket.AF_UNIX:
            return _connect(self, address, *args)
        _record("connect", address)
        raise OSError("network refused by the offline test: connect")

    socket.socket.connect = connect
    socket.socket.connect_ex = connect
    socket.socket.sendto = _refuse("sendto")
    socket.create_connection = _refuse("create_connection")
    socket.getaddrinfo = _refuse("getaddrinfo")
    socket.gethostbyname = _refuse("gethostbyname")
    socket.gethostbyname_ex = _refuse("gethostbyname_ex")
    with open(os.environ["OFFLINE_TEST_GUARDED"], "a") as guarded:
        guarded.write(" ".join(sys.argv[1:3]) + "\\n")
""")


def test_index_ask_and_eval_never_touch_the_network(real_env, tmp_path, seeds):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    attempts, guarded = tmp_path / "attempts.jsonl", tmp_path / "guarded.txt"
    # One llama.cpp thread: on two shared cores, two threads wait on each other and run five times slower.
    env = {**os.environ, **real_env, "RAG_INDEX_DIR": str(tmp_path / "index"), "RAG_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(guard), os.environ.get("PYTHONPATH")])),
           "OFFLINE_TEST_ATTEMPTS": str(attempts), "OFFLINE_TEST_GUARDED": str(guarded)}
    # No variable that would make a library skip its own network attempt: the guard must see it.
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        env.pop(name, None)
    commands = [
        ["index", str(seeds)],
        ["ask", "--json", "How many people remain in Pokrovsk?"],
        ["eval", "--limit", "2", "--out", str(tmp_path / "run")],
    ]
    for command in commands:
        result = subprocess.run([sys.executable, "-m", "rag", *command, "--model", "smollm2-135m"],
                                capture_output=True, text=True, env=env, timeout=900)
        assert result.returncode == 0, (command, result.stderr)
    assert guarded.read_text().split("\n")[:3] == ["index " + str(seeds), "ask --json", "eval --limit"]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["metrics"]["questions"] == 2
    assert not attempts.exists(), attempts.read_text()
