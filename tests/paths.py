"""Where the test data lives (the repo's seeds/, the shared evaluation sets beside the clone), and how a test
writes its own."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def seed_questions_if_present() -> list[dict]:
    """The development questions shipped beside the repo (../shared/eval), or [] where that folder is absent.

    For collection-time use (parametrize): an empty parameter set shows as one skipped test, where a
    pytest.skip() at collection would be an error.
    """
    import json

    path = SHARED_EVAL / "seed_qa.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_questions() -> list[dict]:
    """The development questions; inside a test, skips it where ../shared/eval is absent."""
    import pytest

    questions = seed_questions_if_present()
    if not questions:
        pytest.skip(f"{SHARED_EVAL / 'seed_qa.jsonl'} not present")
    return questions


def write_files(folder: Path, files: dict[str, str | bytes]) -> None:
    """Write {relative name: text or bytes} under folder, creating subfolders."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def copy_of(kb, folder: Path):
    """A KnowledgeBase over a copy of ``kb``'s sources and index in ``folder``, for a test that changes them.

    The FAISS store's index is a folder and is copied; a Milvus index lives in Milvus, so there the copy is built
    (in the same Milvus, under the new folder's name: kb.store.milvus collection_prefix).
    """
    import shutil

    from kb import KnowledgeBase

    shutil.copytree(kb.settings.sources, folder / "sources")
    copy = KnowledgeBase(folder / "sources", folder / "index", store=kb.settings.store)
    if kb.settings.store == "faiss":
        shutil.copytree(kb.settings.index, folder / "index")
    else:
        copy.build()
    return copy


def built_kb(root: Path, files: dict[str, str | bytes]):
    """A KnowledgeBase over ``root``/sources holding ``files``, its index built under ``root``/index."""
    from kb import KnowledgeBase

    write_files(root / "sources", files)
    kb = KnowledgeBase(root / "sources", root / "index")
    kb.build()
    return kb
