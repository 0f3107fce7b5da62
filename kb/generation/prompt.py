"""The prompt: numbered passages and a rule that every sentence ends with the [n] of the passage it uses.

Numbering the passages 1..k and asking for ``[n]`` markers is what makes the reply checkable: each marker
points at exactly one passage, whose text the verifier compares with the sentence.
"""

from __future__ import annotations

from kb.generation.client import Message
from kb.types import Passage

SYSTEM_PROMPT = (
    "Answer from the numbered passages only, in one to three short sentences. "
    "After each sentence write the number of the passage it comes from in square brackets, like [1]. "
    "If the passages do not answer the question, reply: I don't know."
)

# One worked example as a previous chat turn: small models copy a demonstrated format far more reliably than
# they follow a described one (SmolLM2-135M cites with it and almost never without it).
EXAMPLE_USER = (
    "Passages:\n\n[1] Farm report\nCows on the Hill farm produce 30 litres of milk a day.\n\n"
    "[2] Weather\nThe summer was unusually dry.\n\nQuestion: How much milk do the cows produce?"
)
EXAMPLE_ANSWER = "The cows on the Hill farm produce 30 litres of milk a day [1]."

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
    user = f"Passages:\n\n{format_passages(passages, max_chars)}\n\nQuestion: {question}"
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": EXAMPLE_USER},
        {"role": "assistant", "content": EXAMPLE_ANSWER},
        {"role": "user", "content": user},
    ]


__all__ = ["DONT_KNOW", "SYSTEM_PROMPT", "build_messages", "format_passages"]
