"""Questions asked from several threads while the index is rebuilt: no errors, and no answer mixes two versions.

Every document carries its edition's marker in its one chunk, and each rebuild rewrites all of them, so an
answer whose passages carry two markers (or whose text names the other edition's builder) came from a mix.
The 60-second, 20-client version of this against `kb serve`'s /ask API is benchmarks/load_ask.py.
"""

from __future__ import annotations

import threading

from reliability_support import check_index, write_files

EDITIONS = {"ALPHA": "the engineer Mara Velt", "BRAVO": "the architect Jon Ruell"}
BUILDER_NAME = {"ALPHA": "Velt", "BRAVO": "Ruell"}
QUESTIONS = ["Who built the Brannock lighthouse?", "Who planted the oldest pear tree?",
             "Who led the glacier survey?", "When is the harvest festival?"]


def edition_files(edition: str) -> dict[str, str]:
    """Short documents (one chunk each), all stamped with the edition."""
    builder = EDITIONS[edition]
    return {
        "lighthouse.txt": f"The Brannock lighthouse was built in 1874 by {builder}. Its lamp is seen 22 miles away. "
                          f"This record is edition {edition}.",
        "orchard.txt": f"The oldest pear tree of the Quillon orchard was planted by Odile Farsen in 1902. "
                       f"The harvest festival is on the second Sunday of September. This record is edition {edition}.",
        "glacier.txt": f"The survey of the Tessaly glacier in 2019 was led by Ivo Brandt. "
                       f"This record is edition {edition}.",
    }


def markers(texts: list[str]) -> set[str]:
    return {e for e in EDITIONS for t in texts if f"edition {e}" in t}


def test_readers_see_one_whole_version_during_rebuilds(tmp_path):
    from kb import KnowledgeBase

    sources = tmp_path / "sources"
    write_files(sources, edition_files("ALPHA"))
    kb = KnowledgeBase(sources, tmp_path / "index")
    kb.build()

    stop = threading.Event()
    errors: list[str] = []
    answers: list[tuple[set[str], str]] = []

    def reader(n: int) -> None:
        i = 0
        while not stop.is_set() or i < 4:
            question = QUESTIONS[(n + i) % len(QUESTIONS)]
            i += 1
            try:
                answer = kb.ask(question)
                passages = kb.search(question, k=5)
            except Exception as exc:  # any error under load fails the test
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            seen = markers([p.text for p in answer.passages])
            if len(seen) != 1 or len(markers([p.text for p in passages])) != 1:
                errors.append(f"mixed or unmarked passages for {question!r}: {seen}")
            if "lighthouse" in question and not answer.abstained:
                named = {e for e, name in BUILDER_NAME.items() if name in answer.answer}
                if named != seen:
                    errors.append(f"answer {answer.answer!r} does not match its passages {seen}")
            answers.append((seen, question))

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        for edition in ["BRAVO", "ALPHA", "BRAVO", "ALPHA"]:
            write_files(sources, edition_files(edition))
            report = kb.build()
            assert len(report.updated) == 3 and not report.errors
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=300)
    assert not errors, errors[:5]
    assert len(answers) >= 16
    assert {m for seen, _ in answers for m in seen} == set(EDITIONS)  # the readers did live through the swaps
    assert check_index(kb.settings.index).documents.keys() == set(edition_files("ALPHA"))
    assert markers([p.text for p in kb.ask(QUESTIONS[0]).passages]) == {"ALPHA"}
