"""`rag chat` driven through a pseudo-terminal with the tiny real model, as a person would."""

import os
import re
import subprocess
import sys

import pexpect

PROMPT = "›"


def _env(real_env, tmp_path):
    return {**os.environ, **real_env, "RAG_MAX_ANSWER_TOKENS": "200", "XDG_STATE_HOME": str(tmp_path),
            "TERM": "xterm", "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1"}


def test_a_conversation_on_a_terminal(real_rag, real_env, tmp_path):
    child = pexpect.spawn(sys.executable, ["-m", "rag", "chat", "-v"], env=_env(real_env, tmp_path),
                          encoding="utf-8", timeout=180, dimensions=(40, 200))
    child.expect(r"rag chat · model smollm2-135m · 5 documents, \d+ chunks")
    child.expect(PROMPT)

    child.sendline("Who is Yuri Ushakov?")
    child.expect("searched: Who is Yuri Ushakov\\?")
    answer = child.before
    child.expect(PROMPT)
    # A cited answer lists its sources after the timings; a refusal stands before them.
    # NO_COLOR removes colour, not bold, so escape codes sit between the marker and the title.
    sources = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    assert re.search(r"\[\d\] .* — \d{3}_\w+\.txt", sources) or "I cannot find the answer" in answer

    child.sendline("and what about the 20-point plan?")  # a follow-up: searched with the earlier subject
    child.expect("searched: Who is Yuri Ushakov\\? and what about the 20-point plan\\?")
    child.expect(PROMPT)

    child.sendline("/sources")
    child.expect(r"\[1\] .* chars \d+-\d+ \(score")
    child.expect(PROMPT)

    # Ctrl-C while the answer streams stops it. SmolLM's whole answer can be out before the key
    # arrives (the key then reaches the next prompt, which only gives a hint), so up to three tries.
    for _ in range(3):
        child.sendline("Describe everything the documents say about Pokrovsk, in detail.")
        child.expect_exact("\x1b[?2004l")  # the line is accepted; what follows is the answer
        child.expect(r"[A-Za-z]{3}")  # streaming has begun
        child.sendcontrol("c")
        if child.expect([r"\[stopped\]", r"Ctrl-C again or Ctrl-D"]) == 0:
            break
    else:
        raise AssertionError("Ctrl-C never stopped a streaming answer")
    child.expect(PROMPT)
    child.sendline("How many people remain in Pokrovsk?")
    child.expect("searched: How many people remain in Pokrovsk\\?")
    child.expect(PROMPT)

    child.sendline("/reset")
    child.expect("Conversation forgotten.")
    child.expect(PROMPT)
    child.sendcontrol("c")  # at the prompt: a hint, not an exit
    child.expect("Ctrl-C again or Ctrl-D")
    child.sendline("/quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Who is Yuri Ushakov?" in (tmp_path / "rag" / "chat_history").read_text()


def test_piped_questions_get_plain_answers(real_rag, real_env, tmp_path):
    result = subprocess.run([sys.executable, "-m", "rag", "chat"], input="Who is Yuri Ushakov?\n\nWho won the 1998 football World Cup?\n",
                            capture_output=True, text=True, env=_env(real_env, tmp_path), timeout=600)
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout
    # The off-corpus question is refused, and the refusal says why on its own line.
    assert result.stdout.rstrip().endswith("I cannot find the answer in the provided documents.\n"
                                           "(why: no passage in the documents is about the question)")
    assert "rag chat ·" not in result.stdout
