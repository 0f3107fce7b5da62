"""The prompt: numbered passages and a rule that every sentence ends with the [n] of the passage it uses.

Numbering the passages 1..k and asking for ``[n]`` markers is what makes the reply checkable: each marker
points at exactly one passage, whose text the verifier compares with the sentence.
"""

from __future__ import annotations

from kb.generation.client import Message
from kb.types import Passage

SYSTEM_PROMPT = (
    "You answer questions using only the numbered passages you are given. "
    "Write one to three short sentences. End every sentence with the number of the passage that supports it, "
    "in square brackets, like [1] or [2][3]. Never cite a passage that does not say what the sentence says. "
    "If the passages do not answer the question, reply exactly: I don't know."
)

#: Replies that mean "no answer": the extractive answerer decides instead.
DONT_KNOW = ("i don't know", "i do not know", "i dont know")


def format_passages(passages: list[Passage], max_chars: int = 1200) -> str:
    """Numbered blocks; long passages are cut so that a small context window still holds all of them."""
    blocks = []
    for n, p in enumerate(passages, start=1):
        text = " ".join(p.text.split())
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " ..."
        heading = f"[{n}] {p.title}" + (f" ({p.date})" if p.date else "")
        blocks.append(f"{heading}\n{text}")
    return "\n\n".join(blocks)


def build_messages(question: str, passages: list[Passage], max_chars: int = 1200) -> list[Message]:
    user = f"Passages:\n\n{format_passages(passages, max_chars)}\n\nQuestion: {question}\nAnswer with [n] citations:"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


__all__ = ["DONT_KNOW", "SYSTEM_PROMPT", "build_messages", "format_passages"]
