"""The index: incremental rebuilds embed only what changed, swaps are atomic, mismatches are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

from kb.errors import IndexBusyError, IndexMismatchError, IndexMissingError
from kb.indexing import Indexer
from store_checks import chunk_ids

DOCS = {
    "alpha.txt": "Alpha report\n\nThe alpha team verified the zebra migration data in 2021. It took three weeks.",
    "beta.md": "# Beta notes\n\nBeta observers counted 412 flamingos at the northern lake.",
    "gamma.html": "<html><head><title>Gamma</title></head><body><p>Gamma engineers rebuilt the copper bridge.</p></body></html>",
}


class CountingEmbedder:
    """The real model, with a count of every text it was asked to embed."""

    def __init__(self, inner):
        self._inner = inner
        self.model_name = self._inner.model_name
        self.dimension = self._inner.dimension
        self.texts: list[str] = []

    def embed(self, texts, progress=False):
        self.texts.extend(texts)
        return self._inner.embed(texts)

    def embed_spans(self, texts, spans):
        self.texts.extend(texts)
        return self._inner.embed_spans(texts, spans)


def _only_from(texts: list[str], document: str) -> bool:
    """Every embedded text is a chunk (title line + span) or a sentence of this document."""
    title = document.lstrip("# ").split("\n", 1)[0]
    return bool(texts) and all(t in document or t.removeprefix(title + "\n") in document for t in texts)


def _build(kb, full=False):
    counter = CountingEmbedder(kb.embedder)
    report = Indexer(kb.settings, lambda: counter).run(full=full)
    return report, counter


@contextmanager
def _snapshot(kb):
    snap = kb.backend.open()
    try:
        yield snap
    finally:
        snap.close()


def _consistent(kb) -> set[int]:
    """FAISS, the chunk table and the FTS table hold exactly the same chunk ids (Milvus: chunks and terms agree)."""
    with _snapshot(kb) as snap:
        return chunk_ids(snap)


def test_first_build_then_noop(make_kb):
    kb = make_kb(DOCS)
    report, counter = _build(kb)
    assert sorted(report.added) == sorted(DOCS)
    assert report.chunks == report.embedded_chunks > 0
    # One model pass per chunk, and one per sentence (sentence_vectors = "separate", the default).
    assert len(counter.texts) == report.chunks + len(_stored_sentences(kb))
    version = kb.backend.live_version()
    again, counter2 = _build(kb)
    assert again.unchanged == sorted(DOCS) and not again.added and not again.updated and not again.removed
    assert counter2.texts == [] and again.embedded_chunks == 0 and again.chunks == report.chunks
    assert kb.backend.live_version() == version  # nothing written
    assert again.chunks == report.chunks


def test_edit_reembeds_only_that_document(make_kb):
    kb = make_kb(DOCS)
    _build(kb)
    before = _consistent(kb)
    new_text = "# Beta notes\n\nBeta observers counted 977 pelicans at the lake."
    (kb.settings.sources / "beta.md").write_text(new_text)
    report, counter = _build(kb)
    assert report.updated == ["beta.md"] and sorted(report.unchanged) == ["alpha.txt", "gamma.html"]
    assert _only_from(counter.texts, new_text)
    assert report.embedded_chunks == 1
    after = _consistent(kb)
    assert len(after) == len(before)
    assert kb.search("How many pelicans were counted?", k=1)[0].source == "beta.md"
    assert all("flamingos" not in p.text for p in kb.search("flamingos", k=10, mode="lexical"))


def test_delete_removes_chunks_from_faiss_and_fts(make_kb):
    kb = make_kb(DOCS)
    _build(kb)
    before = _consistent(kb)
    (kb.settings.sources / "gamma.html").unlink()
    report, counter = _build(kb)
    assert report.removed == ["gamma.html"] and counter.texts == []
    after = _consistent(kb)
    assert after < before
    assert all(p.source != "gamma.html" for p in kb.search("copper bridge engineers", k=10))
    assert kb.search("copper bridge", mode="lexical") == []


def test_add_document(make_kb):
    kb = make_kb(DOCS)
    _build(kb)
    new_text = "Delta\n\nThe delta crew painted the lighthouse blue."
    (kb.settings.sources / "delta.txt").write_text(new_text)
    report, counter = _build(kb)
    assert report.added == ["delta.txt"] and len(report.unchanged) == 3
    assert _only_from(counter.texts, new_text)
    assert kb.search("Who painted the lighthouse?", k=1)[0].source == "delta.txt"


class RecordingEmbedder(CountingEmbedder):
    """Counts texts, and notes each model call in a shared log of build events."""

    def __init__(self, inner, events: list[str]):
        super().__init__(inner)
        self.events = events

    def embed(self, texts, progress=False):
        self.events.append(f"embed {len(texts)}")
        return super().embed(texts, progress)

    def embed_spans(self, texts, spans):
        self.events.append(f"embed {len(texts)}")
        return super().embed_spans(texts, spans)


def _grouped_build(kb, monkeypatch, group_texts: int, full: bool = False) -> tuple[object, list[str]]:
    """A build with groups of ``group_texts`` texts, and the order in which it read files and called the model."""
    import kb.indexing as indexing

    events: list[str] = []
    real_read = indexing.read_document

    def read(f, *args, **kwargs):
        events.append(f"read {f.source}")
        return real_read(f, *args, **kwargs)

    monkeypatch.setattr(indexing, "read_document", read)
    monkeypatch.setattr(indexing.Indexer, "GROUP_TEXTS", group_texts, raising=False)
    embedder = RecordingEmbedder(kb.embedder, events)
    shown: list[float] = []
    report = Indexer(kb.settings, lambda: embedder).run(full=full, on_progress=lambda f, m: shown.append(f))
    monkeypatch.undo()
    assert shown == sorted(shown) and shown[-1] == 1.0  # the progress bar only moves forward, group after group
    return report, events


def test_a_build_embeds_and_writes_a_group_before_reading_the_next(make_kb, monkeypatch):
    """Memory is bounded by a group, not the corpus: the model runs on the first files before the last is read,
    and the index is the same as a build in one group."""
    many = {f"note{n:02d}.txt": f"Note {n}\n\nObservers at station {n} counted {100 + n} herons. The count "
            f"took {n + 2} days." for n in range(12)}
    kb = make_kb(many)
    report, events = _grouped_build(kb, monkeypatch, group_texts=8)
    reads = [i for i, e in enumerate(events) if e.startswith("read")]
    embeds = [i for i, e in enumerate(events) if e.startswith("embed")]
    assert len(reads) == 12 and embeds[0] < reads[-1]
    assert sum(1 for i in embeds if i < reads[-1]) >= 3  # a model call per group, not one at the end
    assert sorted(report.added) == sorted(many)
    grouped = _consistent(kb)
    assert kb.search("How many herons were counted at station 7?", k=1)[0].source == "note07.txt"

    whole, events = _grouped_build(kb, monkeypatch, group_texts=10**6, full=True)
    assert whole.embedded_chunks == report.embedded_chunks == report.chunks
    assert len(_consistent(kb)) == len(grouped)
    assert all(e.startswith("read") for e in events[:12])  # one group: every file read before the model runs



def test_a_document_larger_than_a_group_is_written_a_slice_of_its_sentences_at_a_time(make_kb, monkeypatch):
    """One large file had its every vector held at once; now its sentences are embedded and written a group's worth
    at a time (StoreWriter.add_sentences). The index is the one a single group writes, to the bit, and an edit
    still embeds only what changed."""
    counts = " ".join(f"Observers at station {n} counted {100 + n} herons." for n in range(40))
    kb = make_kb({"big.txt": f"Herons\n\n{counts}", "small.txt": "Owls\n\nA short note about owls."})
    report, events = _grouped_build(kb, monkeypatch, group_texts=8)
    assert sum(e.startswith("embed") for e in events) >= 5  # a model call per slice
    sliced, sentences = _vectors_by_text(kb), len(_stored_sentences(kb))
    assert sentences >= 41 and kb.search("How many herons were counted at station 33?", k=1)[0].source == "big.txt"

    whole, events = _grouped_build(kb, monkeypatch, group_texts=10**6, full=True)
    assert sum(e.startswith("embed") for e in events) == 1 and whole.embedded_chunks == report.embedded_chunks
    assert len(_stored_sentences(kb)) == sentences
    one_group = _vectors_by_text(kb)
    assert set(one_group) == set(sliced) and all(np.array_equal(one_group[k], sliced[k]) for k in sliced)

    big = kb.settings.sources / "big.txt"
    big.write_text(big.read_text().replace("counted 133 herons", "counted 134 herons"))
    embedder = CountingEmbedder(kb.embedder)
    monkeypatch.setattr(Indexer, "GROUP_TEXTS", 8, raising=False)
    edited = Indexer(kb.settings, lambda: embedder).run()
    monkeypatch.undo()
    assert edited.updated == ["big.txt"]
    assert "Observers at station 33 counted 134 herons." in embedder.texts and len(embedder.texts) <= 4

def test_a_grouped_incremental_build_updates_adds_and_removes(make_kb, monkeypatch):
    kb = make_kb(DOCS)
    _build(kb)
    (kb.settings.sources / "beta.md").write_text("# Beta notes\n\nBeta observers counted 977 pelicans at the lake.")
    (kb.settings.sources / "delta.txt").write_text("Delta\n\nThe delta crew painted the lighthouse blue.")
    (kb.settings.sources / "gamma.html").unlink()
    report, events = _grouped_build(kb, monkeypatch, group_texts=1)
    assert report.updated == ["beta.md"] and report.added == ["delta.txt"] and report.removed == ["gamma.html"]
    assert [e for e in events if e.startswith("read")] == ["read beta.md", "read delta.txt"]
    assert events.index("read delta.txt") > next(i for i, e in enumerate(events) if e.startswith("embed"))
    _consistent(kb)
    assert kb.search("How many pelicans were counted?", k=1)[0].source == "beta.md"
    assert kb.search("Who painted the lighthouse?", k=1)[0].source == "delta.txt"
    assert all("flamingos" not in p.text for p in kb.search("flamingos", k=10, mode="lexical"))
    assert all(p.source != "gamma.html" for p in kb.search("copper bridge engineers", k=10))


def test_a_build_that_fails_after_writing_a_group_leaves_the_old_index(make_kb, monkeypatch):
    """The first group is already in the new version's database when the second fails: nothing of it shows."""
    kb = make_kb(DOCS)
    kb.build()
    old_version = kb.version
    (kb.settings.sources / "alpha.txt").write_text("Alpha\n\nCompletely new alpha text about submarines.")
    (kb.settings.sources / "beta.md").write_text("# Beta notes\n\nBeta observers counted 977 pelicans.")
    import kb.indexing as indexing

    written = []
    real_embed = kb.embedder.embed

    def embed_then_fail(texts, progress=False):
        if any("977 pelicans" in t for t in texts):  # alpha's group was embedded and written; beta's fails
            raise RuntimeError("model crashed")
        written.extend(texts)
        return real_embed(texts)

    monkeypatch.setattr(indexing.Indexer, "GROUP_TEXTS", 1, raising=False)
    monkeypatch.setattr(kb.embedder, "embed", embed_then_fail)
    with pytest.raises(RuntimeError, match="model crashed"):
        kb.build()
    monkeypatch.undo()
    assert any("submarines" in t for t in written)
    assert kb.backend.live_version() == old_version
    assert not list(kb.settings.index.glob(".build-*"))
    assert kb.search("zebra migration", k=1)[0].source == "alpha.txt"
    assert kb.search("submarines", mode="lexical") == []
    assert sorted(kb.build().updated) == ["alpha.txt", "beta.md"]


@pytest.mark.faiss_only  # Milvus keeps its versions as collections, not folders
def test_old_versions_are_collected_but_a_users_folder_named_like_one_is_kept(make_kb):
    kb = make_kb(DOCS)
    index = kb.settings.index
    (index / "v000005").mkdir(parents=True)
    (index / "v000005" / "mine.txt").write_text("my notes")
    for n in range(4):
        (kb.settings.sources / "delta.txt").write_text(f"Delta\n\nThe delta crew painted {n} lighthouses.")
        _build(kb)
    versions = sorted(p.name for p in index.iterdir() if p.name.startswith("v"))
    # kb's own builds v000006..v000009: the two newest stay; the user's folder is not kb's to remove
    assert versions == ["v000005", "v000008", "v000009"]
    assert (index / "v000005" / "mine.txt").read_text() == "my notes"


@pytest.mark.faiss_only  # the Milvus variant: tests/test_milvus_store.py
def test_failed_rebuild_leaves_old_index_answering(make_kb, monkeypatch):
    kb = make_kb(DOCS)
    kb.build()
    old_version = kb.version
    (kb.settings.sources / "alpha.txt").write_text("Alpha\n\nCompletely new alpha text about submarines.")

    import kb.indexing as indexing

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(indexing.VectorIndex, "build", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        kb.build()
    monkeypatch.undo()
    index_dir = kb.settings.index
    assert kb.backend.live_version() == old_version
    assert not list(index_dir.glob(".build-*"))
    answer = kb.ask("Who verified the zebra migration data?")
    assert not answer.abstained and answer.citations[0].source == "alpha.txt"
    assert "zebra" in answer.citations[0].text
    # The next build picks the change up.
    report = kb.build()
    assert report.updated == ["alpha.txt"]
    assert kb.search("submarines", k=1)[0].source == "alpha.txt"


def test_model_mismatch_is_refused_with_a_fix(make_kb, tmp_path):
    kb = make_kb(DOCS)
    kb.build()
    from kb import KnowledgeBase

    other = KnowledgeBase(kb.settings.sources, kb.settings.index, model="some/other-model")
    with pytest.raises(IndexMismatchError, match="kb index --full") as refused:
        other.search("zebra")
    # the other way out, for a model asked for by a slip: the index's own model reads it
    assert f"or leave the model setting at {kb.settings.model!r} to read it" in str(refused.value)


def test_an_index_from_an_older_embedding_recipe_is_refused_then_rebuilt(make_kb, monkeypatch):
    """Vectors made by another export recipe (8-bit int8 weights saturate on CPUs without VNNI) must not be
    compared with questions embedded by this one: reading says so in one line, and `kb index` re-embeds all."""
    import kb.indexing as indexing

    kb = make_kb(DOCS)
    monkeypatch.setattr(indexing, "EXPORT_RECIPE", indexing.EXPORT_RECIPE - 1)
    kb.build()
    monkeypatch.undo()
    assert kb.backend.live_manifest().embedding_recipe == indexing.EXPORT_RECIPE - 1
    with pytest.raises(IndexMismatchError, match=r"by an older kb \(embedding_recipe: .*kb index --full"):
        kb.search("zebra")
    report, counter = _build(kb)  # incremental, as `kb index` and `kb serve` run it: the recipe forces a full one
    assert report.full and sorted(report.added) == sorted(DOCS) and report.embedded_chunks == report.chunks
    assert kb.backend.live_manifest().embedding_recipe == indexing.EXPORT_RECIPE
    assert kb.search("zebra", k=1)[0].source == "alpha.txt"


def test_a_manifest_from_before_the_recipe_was_recorded_asks_for_a_rebuild():
    from kb.store.manifest import Manifest, mismatch

    old = Manifest(model="m", dimension=3, chunker={}, embed_title=True)  # the fields such a manifest has
    wanted = {**old.build_signature(), "embedding_recipe": 3}
    assert old.embedding_recipe == 0 and mismatch(old, wanted) == ["embedding_recipe"]


def test_a_reader_that_changed_has_only_its_files_read_again(make_kb, monkeypatch):
    """A new kb whose PDF reader extracts other text from the same bytes: `kb index` re-reads and re-embeds the
    PDFs, leaves the other documents alone, and the index answers meanwhile (the reader is no build setting)."""
    import kb.sources.pdf as pdf
    from kb.sources.formats import READER_VERSIONS
    from pdf_factory import make_pdf

    kb = make_kb({**DOCS, "delta.pdf": make_pdf(["Delta\nThe delta crew painted the lighthouse blue."])})
    first, _ = _build(kb)
    assert kb.backend.live_manifest().readers == READER_VERSIONS
    monkeypatch.setitem(READER_VERSIONS, "pdf", READER_VERSIONS["pdf"] + 1)
    monkeypatch.setattr(pdf, "join_broken_words", lambda text: text.replace("blue", "ochre"))
    assert kb.search("lighthouse", k=1)[0].source == "delta.pdf"  # readable before the rebuild
    report, counter = _build(kb)
    assert not report.full and report.updated == ["delta.pdf"] and sorted(report.unchanged) == sorted(DOCS)
    assert counter.texts and all("ochre" in t or "Delta" in t or "delta" in t for t in counter.texts)
    assert "ochre" in kb.document_text("delta.pdf")
    assert kb.backend.live_manifest().readers["pdf"] == READER_VERSIONS["pdf"]
    again, counter = _build(kb)
    assert not again.updated and counter.texts == []


def test_an_index_from_before_reader_versions_reads_all_but_its_plain_text_again():
    from kb.indexing import stale_readers
    from kb.sources.formats import READER_VERSIONS
    from kb.store.manifest import Manifest

    old = Manifest(model="m", dimension=3, chunker={}, embed_title=True)  # the fields such a manifest has
    assert old.readers == {} and "readers" not in old.build_signature()  # readable as it is
    # pdf 2: pages, ligatures, hyphens; html 3, docx 2: tables; markdown 2: its blocks (.md was read by "text" before)
    assert stale_readers(old.readers) == {"pdf", "html", "docx", "markdown"}
    assert stale_readers({"text": 1, "html": 2, "pdf": 2, "docx": 1}) == {"pdf", "html", "docx", "markdown"}
    assert stale_readers({**READER_VERSIONS, "pdf": READER_VERSIONS["pdf"] - 1}) == {"pdf"}
    assert stale_readers(dict(READER_VERSIONS)) == frozenset()


def test_chunker_change_forces_full_rebuild(make_kb):
    kb = make_kb(DOCS)
    kb.build()
    from kb import KnowledgeBase

    with pytest.raises(IndexMismatchError, match="chunker"):
        KnowledgeBase(kb.settings.sources, kb.settings.index, chunk_size=300).search("zebra")
    smaller = KnowledgeBase(kb.settings.sources, kb.settings.index, chunk_size=300)
    report, counter = _build(smaller)
    assert report.full and sorted(report.added) == sorted(DOCS) and report.embedded_chunks == report.chunks
    assert counter.texts


def test_full_flag_reembeds_everything(make_kb):
    kb = make_kb(DOCS)
    first, _ = _build(kb)
    report, counter = _build(kb, full=True)
    assert report.full and sorted(report.added) == sorted(DOCS) and report.embedded_chunks == first.chunks
    assert len(counter.texts) == first.chunks + len(_stored_sentences(kb))


def test_bad_files_are_reported_and_the_rest_indexed(make_kb):
    kb = make_kb({**DOCS, "empty.txt": "", "blob.txt": b"\x00\x01\x02\x03" * 50, "notes.docx": b"PK..",
                  "sheet.xlsx": b"PK.."})
    report = kb.build()
    errors = {e.source: e.error for e in report.errors}
    assert set(errors) == {"empty.txt", "blob.txt", "notes.docx", "sheet.xlsx"}
    assert "empty" in errors["empty.txt"] and "binary" in errors["blob.txt"] and "not a .docx" in errors["notes.docx"]
    assert "unsupported" in errors["sheet.xlsx"]
    assert sorted(report.added) == sorted(DOCS)


def test_file_that_turns_bad_is_dropped(make_kb):
    kb = make_kb(DOCS)
    kb.build()
    (kb.settings.sources / "beta.md").write_bytes(b"\x00\x00\x00binary now")
    report = kb.build()
    assert report.removed == ["beta.md"] and report.errors[0].source == "beta.md"
    assert all(d.source != "beta.md" for d in kb.documents())


def test_concurrent_build_is_refused(make_kb):
    kb = make_kb(DOCS)
    with kb.backend.lock():
        with pytest.raises(IndexBusyError, match="being rebuilt"):
            kb.build()


def test_missing_index_says_to_build(make_kb):
    kb = make_kb(DOCS)
    with pytest.raises(IndexMissingError, match="kb index"):
        kb.ask("anything")


@pytest.mark.faiss_only  # the index folder's lock file; the Milvus store's lives beside its database
def test_missing_index_names_the_first_build_under_way(tmp_path):
    """`kb serve` answers while it builds its first index: a question then must not be told to run `kb index`."""
    from kb.store.layout import LOCK, build_lock, current_version

    index = tmp_path / "index"
    with build_lock(index):
        with pytest.raises(IndexMissingError, match=f"process {os.getpid()} is building it; try again"):
            current_version(index)
    with pytest.raises(IndexMissingError, match="run `kb index` first"):
        current_version(index)

    # a build killed while it held the lock leaves its pid behind, one that no longer runs
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (index / LOCK).write_text(done.stdout.strip())
    with pytest.raises(IndexMissingError, match="run `kb index` first"):
        current_version(index)


def test_documents_listing(make_kb):
    kb = make_kb(DOCS)
    kb.build()
    docs = {d.source: d for d in kb.documents()}
    assert set(docs) == set(DOCS)
    assert docs["gamma.html"].title == "Gamma" and docs["beta.md"].title == "Beta notes"
    assert all(d.chunks >= 1 for d in docs.values())
    assert kb.document_text("alpha.txt") == DOCS["alpha.txt"]


def _stored_sentences(kb) -> list[tuple[str, np.ndarray]]:
    with _snapshot(kb) as snap:
        return [
            (text, np.asarray(vector, dtype=np.float32))
            for doc in snap.documents()
            for _, _, text, vector in snap.sentences_overlapping(doc.source, 0, 10**9)
        ]


def _vectors_by_text(kb) -> dict[tuple[str, str], np.ndarray]:
    """Every stored chunk and sentence vector, keyed by (source, text)."""
    with _snapshot(kb) as snap:
        ids = sorted(chunk_ids(snap))
        rows, vectors = snap.chunks(ids), snap.chunk_vectors(ids)
        found = {(rows[i].source, rows[i].text): np.asarray(vectors[i], np.float32) for i in ids}
        for doc in snap.documents():
            for _, _, text, vector in snap.sentences_overlapping(doc.source, 0, 10**9):
                found[(doc.source, text)] = np.asarray(vector, np.float32)
    return found


def test_a_texts_vector_is_the_same_in_an_incremental_build_as_in_a_full_one(make_kb):
    """A vector depends on its text alone, not on the texts embedded beside it: the documents an incremental
    build carries over match a --full rebuild's to the bit, so rankings do not depend on the build's history.
    (With int8 activations quantized per batch, a batch mate moved them in the last digits.)"""
    kb = make_kb(DOCS)
    kb.build()
    (kb.settings.sources / "beta.md").write_text("# Beta\n\nBeta saw 9 owls.")  # now the shortest: batches change
    alpha = kb.settings.sources / "alpha.txt"
    alpha.write_text(alpha.read_text().replace("three weeks", "four weeks"))  # one sentence of two changes
    kb.build()
    incremental = _vectors_by_text(kb)
    kb.build(full=True)
    full = _vectors_by_text(kb)
    assert set(incremental) == set(full) and len(full) >= 8
    differing = [key for key in full if not np.array_equal(incremental[key], full[key])]
    assert differing == []


def test_an_edit_embeds_only_the_text_that_changed(make_kb):
    kb = make_kb(DOCS)
    _build(kb)
    alpha = kb.settings.sources / "alpha.txt"
    alpha.write_text(alpha.read_text().replace("three weeks", "four weeks"))
    report, counter = _build(kb)
    assert report.updated == ["alpha.txt"]
    # The changed sentence and the chunk holding it; the unchanged first sentence keeps its vector.
    sentence, chunk = sorted(counter.texts, key=len)
    assert sentence == "It took four weeks." and chunk.endswith(alpha.read_text()) and len(counter.texts) == 2
    assert kb.search("How long did it take?", k=1)[0].text.endswith("four weeks.")


def test_edits_to_many_files_embed_only_their_new_sentences(make_kb, monkeypatch):
    """The previous vectors are looked up for every edited file of a group (Milvus: a filter per few sources)."""
    import kb.store.milvus.writer as milvus_writer

    monkeypatch.setattr(milvus_writer, "FILTER_SOURCES", 1)
    kb = make_kb(DOCS)
    _build(kb)
    added = {"alpha.txt": "The report was filed in May.", "beta.md": "Nobody counted the herons.",
             "gamma.html": "The bridge reopened in June."}
    for name, sentence in added.items():
        path = kb.settings.sources / name
        text = path.read_text()
        path.write_text(text.replace("</p>", f" {sentence}</p>") if name.endswith(".html") else f"{text} {sentence}")
    report, counter = _build(kb)
    assert sorted(report.updated) == sorted(DOCS)
    sentences = [t for t in counter.texts if t in added.values()]
    assert sorted(sentences) == sorted(added.values())
    assert len(counter.texts) == len(added) + report.embedded_chunks  # the new sentences and the chunks holding them
    assert report.embedded_chunks == 3


def test_a_renamed_or_moved_file_is_not_embedded_again(make_kb):
    kb = make_kb(DOCS)
    _build(kb)
    before = {key[1]: vector for key, vector in _vectors_by_text(kb).items() if key[0] == "alpha.txt"}
    (kb.settings.sources / "archive").mkdir()
    (kb.settings.sources / "alpha.txt").rename(kb.settings.sources / "archive" / "alpha.txt")
    report, counter = _build(kb)
    assert report.added == ["archive/alpha.txt"] and report.removed == ["alpha.txt"]
    assert counter.texts == [] and report.embedded_chunks == 0
    after = {key[1]: vector for key, vector in _vectors_by_text(kb).items() if key[0] == "archive/alpha.txt"}
    assert set(after) == set(before) and all(np.array_equal(after[t], before[t]) for t in before)
    hit = kb.search("Who verified the zebra migration data?", k=1)[0]
    assert hit.source == "archive/alpha.txt" and kb.document_text(hit.source)[hit.start : hit.end] == hit.text


def test_a_text_met_twice_in_a_build_is_embedded_once(make_kb):
    line = "Subscribe to our newsletter for weekly updates."
    kb = make_kb({"one.txt": f"One\n\nThe first crew mapped the reef. {line}",
                  "two.txt": f"Two\n\nThe second crew counted turtles. {line}"})
    report, counter = _build(kb)
    assert counter.texts.count(line) == 1 and len(counter.texts) == len(set(counter.texts))
    assert sorted(report.added) == ["one.txt", "two.txt"]
    stored = {(source, text) for source, text in _vectors_by_text(kb)}
    assert ("one.txt", line) in stored and ("two.txt", line) in stored


@pytest.mark.faiss_only  # reads the SQLite database; the Milvus reader batches its own (kb/store/milvus/reader.py)
def test_a_pools_sentences_fetched_in_one_batch_are_the_ones_fetched_one_by_one(make_kb):
    kb = make_kb(DOCS)
    kb.build()
    with _snapshot(kb) as snap:
        rows = snap.chunks(snap.database.chunk_ids())
        spans = [(r.source, r.start, r.end) for r in rows.values()]
        spans += [("alpha.txt", 10**8, 10**8 + 5), ("no-such-file.txt", 0, 100)]  # past the end, unknown source
        batched = snap.database.sentences_of(spans)
        assert set(batched) == set(spans) and batched[spans[-1]] == [] and batched[spans[-2]] == []
        for source, start, end in spans:
            one = snap.database._query(  # the one-query-per-passage form this replaced
                "SELECT s.start, s.end, substr(d.text, s.start + 1, s.end - s.start), s.vector FROM sentences s "
                "JOIN documents d ON d.id = s.doc_id WHERE d.source = ? AND s.start < ? AND s.end > ? "
                "AND s.start >= ? ORDER BY s.start", (source, end, start, max(0, start - 4000)))
            assert batched[(source, start, end)] == one
        assert sum(len(v) for v in batched.values()) >= len(rows)
        # What retrieval reads after asking for the pool is the batch, and the text is the document's own.
        text = kb.document_text("alpha.txt")
        row = next(r for r in rows.values() if r.source == "alpha.txt")
        for s, e, sentence, vector in snap.sentences_overlapping(row.source, row.start, row.end):
            assert text[s:e] == sentence and vector.dtype == np.float32 and vector.shape == (snap.manifest.dimension,)


@pytest.mark.faiss_only  # the FAISS snapshot's reads; tests/test_milvus_store.py has the Milvus reader's
def test_a_pools_sentences_are_read_once_across_questions(make_kb, monkeypatch):
    """A running server's questions share passages: their sentences (and vectors) are read from SQLite once per
    index version, not once per question, and what the cache gives is what SQLite gives."""
    kb = make_kb(DOCS)
    kb.build()
    with _snapshot(kb) as snap:
        ids = snap.database.chunk_ids()
        reads: list[int] = []
        original = snap.database.sentences_of
        monkeypatch.setattr(snap.database, "sentences_of", lambda spans: reads.append(len(spans)) or original(spans))
        rows = snap.chunks(ids)
        assert reads == [len(rows)]  # one batch for the pool
        first = {(r.source, r.start, r.end): snap.sentences_overlapping(r.source, r.start, r.end) for r in rows.values()}
        snap.chunks(ids)  # the next question, same passages
        assert reads == [len(rows)]
        for (source, start, end), cached in first.items():
            direct = snap.database.sentences_overlapping(source, start, end)
            assert [(a, b, t) for a, b, t, _ in cached] == [(a, b, t) for a, b, t, _ in direct]
            assert all(np.array_equal(v, np.frombuffer(w, dtype=np.float32)) for (*_, v), (*_, w) in zip(cached, direct))


def test_the_sentence_cache_keeps_to_its_budget():
    from kb.store.sentence_cache import SentenceCache

    def rows(n: int) -> list:
        return [(i, i + 1, "x" * 10, np.zeros(384, dtype=np.float32)) for i in range(n)]

    one = 100 + (1536 + 10 + 100) * 2  # two sentences, as SentenceCache.put counts them
    cache = SentenceCache(budget=3 * one)
    for i in range(5):
        cache.put(("a.txt", i, i + 1), rows(2))
    assert len(cache) == 3 and cache.used <= cache.budget
    assert cache.get(("a.txt", 0, 1)) is None and cache.get(("a.txt", 4, 5)) is not None  # the oldest went first
    cache.get(("a.txt", 2, 3))  # used: now the most recent
    cache.put(("a.txt", 9, 10), rows(2))
    assert cache.get(("a.txt", 2, 3)) is not None and cache.get(("a.txt", 3, 4)) is None
    cache.put(("big.txt", 0, 1), rows(10))  # larger than the whole budget: not kept, nothing evicted for it
    assert cache.get(("big.txt", 0, 1)) is None and len(cache) == 3
    assert cache.missing([("a.txt", 2, 3), ("a.txt", 0, 1)]) == [("a.txt", 0, 1)]


def test_contextual_sentence_vectors_come_from_the_chunk_pass(make_kb):
    kb = make_kb(DOCS, sentence_vectors="contextual")
    report, counter = _build(kb)
    assert len(counter.texts) == report.chunks
    stored = _stored_sentences(kb)
    assert len(stored) >= 4
    # Pooled vectors are unit length and close to, but not the same as, the sentence embedded alone.
    alone = kb.embedder.embed([text for text, _ in stored])
    for (text, vector), reference in zip(stored, alone):
        assert abs(np.linalg.norm(vector) - 1) < 1e-4
        assert 0.5 < float(vector @ reference) < 0.9999, text


def test_separate_sentence_vectors_embed_each_sentence(make_kb):
    kb = make_kb(DOCS)  # the default
    assert kb.settings.sentence_vectors == "separate"
    report, counter = _build(kb)
    stored = _stored_sentences(kb)
    assert len(counter.texts) == report.chunks + len(stored)
    alone = kb.embedder.embed([text for text, _ in stored])
    for (_, vector), reference in zip(stored, alone):
        assert float(vector @ reference) > 0.999


def test_switching_sentence_vectors_rebuilds_everything(make_kb):
    kb = make_kb(DOCS, sentence_vectors="contextual")
    kb.build()
    from kb import KnowledgeBase

    other = KnowledgeBase(kb.settings.sources, kb.settings.index, sentence_vectors="separate")
    assert other.search("zebra")  # either kind reads fine
    report, counter = _build(other)
    assert report.full
    assert len(counter.texts) > report.chunks


def test_sentences_no_chunk_holds_whole_are_embedded_alone(make_kb):
    # Small chunks: a long sentence straddles two chunks, and one chunk runs past the model's 256-token limit.
    long_sentence = "The committee reviewed " + ", ".join(f"item {i} of the ledger" for i in range(40)) + "."
    tail = "Finally the auditors signed the zebra report on Tuesday."
    text = "Ledger notes\n\n" + "Short opening line here. " * 3 + long_sentence + " " + tail
    kb = make_kb({"ledger.txt": text}, chunk_size=400, chunk_overlap=50, sentence_vectors="contextual")
    report, counter = _build(kb)
    embedded_alone = [t for t in counter.texts if not t.startswith("Ledger notes\n")]
    assert long_sentence in embedded_alone  # longer than a chunk: no chunk holds it whole
    stored = dict(_stored_sentences(kb))
    assert set(stored) >= {long_sentence, tail}
    alone = kb.embedder.embed([long_sentence])[0]
    assert float(stored[long_sentence] @ alone) > 0.999
    assert kb.ask("Who signed the zebra report?").citations
