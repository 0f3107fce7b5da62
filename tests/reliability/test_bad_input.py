"""Hostile and broken source files: each is skipped with one clear line naming it, and nothing else is lost.

One folder holds every bad file next to the good ones and is indexed once through `kb index --json`, the way a
user would run it; each scenario then checks its own file in the report, in stderr and in the index.
"""

from __future__ import annotations

import json
import os
import random
import threading

import pytest

from pdf_factory import make_blank_pdf, make_pdf
from reliability_support import TINY_CORPUS, check_index, encrypted_pdf, one_line, run_cli, write_files

LATIN1_TEXT = "Café crème à Zürich: the Brannock keepers drank it in the façade's shade, naïvely.\n"
UTF16_TEXT = "Überlingen harbour: the Tessaly ferry leaves at 07:40 — every day, even on Sundays ☃.\n"
UNICODE_NAME = "résumé – ünïcødé 日本 \"quoted\" it's.txt"

GOOD = dict(TINY_CORPUS)
GOOD.update(
    {
        "latin1.txt": LATIN1_TEXT.encode("latin-1"),
        "utf16-bom.txt": UTF16_TEXT.encode("utf-16"),
        "utf16-nobom.txt": UTF16_TEXT.encode("utf-16-le"),
        "name with spaces.txt": "The ferry to Tessaly island has a blue hull and a red funnel.",
        UNICODE_NAME: "The Quillon pear is small, yellow and very sweet when ripe in September.",
        "sub dir/nested 'file'.md": "# Nested\n\nThe nested document mentions the Brannock foghorn, sounded every 30 seconds.",
        "report.pdf": make_pdf(["The Quillon orchard report, 2021.\nPear yield rose by twelve percent."]),
        "broken.html": (
            "<html><head><title>Harvest festival</title><body><p>The Quillon harvest festival <b>starts <i>at noon"
            "<div>with a parade of carts</p></b><script>document.write('SCRIPTTEXT')</script>"
            "<table><tr><td>cider<td>apples</table><!-- never closed comment"
        ),
    }
)

#: bad file -> words that must appear in its reason
BAD: dict[str, tuple[str | bytes, tuple[str, ...]]] = {
    "empty.txt": (b"", ("empty",)),
    "blank.md": ("   \n\t\n   \n", ("no text",)),
    "image.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(random.Random(7).randrange(256) for _ in range(3000)), ("binary",)),
    "scanned.pdf": (make_blank_pdf(), ("no text layer",)),
    "corrupt.pdf": (b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\ngarbage" + bytes(range(256)), ("pdf",)),
    "not-a-pdf.pdf": (b"PK\x03\x04 this is a zip file really", ("not a pdf",)),
    "truncated.pdf": (make_pdf(["This PDF was cut off in transfer."])[:180], ("pdf",)),
    "locked.pdf": (encrypted_pdf(), ("encrypted",)),
    "only-script.html": ("<html><script>alert(1)</script><style>p{}</style></html>", ("no text",)),
    "spreadsheet.xlsx": (b"PK\x03\x04", ("unsupported",)),
}

SKIPPED_SILENTLY = [".hidden.txt", "notes.txt~", ".notes.txt.swp", "~$report.txt", "#draft.txt#", ".#lock.txt",
                    "partial.txt.part", "kb.toml", ".git/config.txt", "backup.md.bak"]


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("badinput")
    sources = base / "sources"
    write_files(sources, GOOD)
    write_files(sources, {name: content for name, (content, _) in BAD.items()})
    write_files(sources, {name: "The Brannock lighthouse is haunted by a SILENTSKIP ghost." for name in SKIPPED_SILENTLY
                          if name != "kb.toml"})
    write_files(sources, {"kb.toml": "[kb]\nchunk_size = 800\n"})
    outside = base / "outside"
    write_files(outside, {"secret.txt": "The OUTSIDESECRET password is swordfish.",
                          "dir/other.txt": "Another OUTSIDESECRET file."})
    (sources / "link-out.txt").symlink_to(outside / "secret.txt")
    (sources / "linked-dir").symlink_to(outside / "dir")
    (sources / "link-in.txt").symlink_to(sources / "lighthouse.txt")
    (sources / "dangling.txt").symlink_to(base / "nowhere.txt")
    (sources / "loop-a.txt").symlink_to(sources / "loop-b.txt")
    (sources / "loop-b.txt").symlink_to(sources / "loop-a.txt")
    os.mkfifo(sources / "pipe.txt")  # a reader that opens this blocks forever
    undecodable = os.fsencode(str(sources)) + b"/caf\xe9-latin1-name.txt"
    with open(undecodable, "wb") as fh:
        fh.write(b"A file whose name is not UTF-8.")
    index = base / "index"

    result: dict = {}

    def build() -> None:
        result["cli"] = run_cli(["index", "--sources", str(sources), "--index", str(index), "--json"])

    worker = threading.Thread(target=build, daemon=True)  # a hang (e.g. reading the FIFO) must fail, not freeze CI
    worker.start()
    worker.join(timeout=600)
    assert not worker.is_alive(), "kb index hung on the bad-input folder"
    code, out, err = result["cli"]
    report = json.loads(out)
    from kb import KnowledgeBase

    kb = KnowledgeBase(sources, index)
    return {"code": code, "report": report, "err": err, "kb": kb, "index": index, "sources": sources}


def _reason(bad_build, source: str) -> str:
    errors = {e["source"]: e["error"] for e in bad_build["report"]["errors"]}
    assert source in errors, f"{source} not reported; errors: {sorted(errors)}"
    return errors[source]


def _assert_reported(bad_build, source: str, words: tuple[str, ...]) -> None:
    reason = _reason(bad_build, source)
    assert one_line(reason) and reason.strip()
    for word in words:
        assert word.lower() in reason.lower(), f"{source}: reason {reason!r} lacks {word!r}"
    lines = [line for line in bad_build["err"].splitlines() if line.startswith(f"skipped {source}: ")]
    assert lines == [f"skipped {source}: {reason}"], f"stderr lacks the line for {source}"
    assert source not in {d.source for d in bad_build["kb"].documents()}


def test_build_succeeds_and_stderr_is_only_skip_lines(bad_build):
    assert bad_build["code"] == 0, bad_build["err"]
    lines = bad_build["err"].strip().splitlines()
    assert lines and all(line.startswith("skipped ") for line in lines), bad_build["err"][-2000:]
    assert len(lines) == len(bad_build["report"]["errors"])  # no library warnings, no traceback


def test_good_documents_all_indexed(bad_build):
    indexed = {d.source for d in bad_build["kb"].documents()}
    assert set(GOOD) | {"link-in.txt"} <= indexed
    check_index(bad_build["index"])


@pytest.mark.parametrize("source", sorted(BAD))
def test_bad_file_reported(bad_build, source):
    _assert_reported(bad_build, source, BAD[source][1])


def test_latin1_decoded(bad_build):
    assert bad_build["kb"].document_text("latin1.txt") == LATIN1_TEXT


@pytest.mark.parametrize("source", ["utf16-bom.txt", "utf16-nobom.txt"])
def test_utf16_decoded(bad_build, source):
    assert bad_build["kb"].document_text(source) == UTF16_TEXT


@pytest.mark.parametrize("source", ["name with spaces.txt", UNICODE_NAME, "sub dir/nested 'file'.md"])
def test_odd_names_indexed_and_answerable(bad_build, source):
    kb = bad_build["kb"]
    text = kb.document_text(source)
    assert text, source
    passages = kb.search(text[:60], mode="lexical")
    assert source in {p.source for p in passages}


def test_pdf_with_text_layer_indexed(bad_build):
    assert "twelve percent" in bad_build["kb"].document_text("report.pdf")


def test_malformed_html_keeps_visible_text_only(bad_build):
    text = bad_build["kb"].document_text("broken.html")
    assert "harvest festival" in text and "parade of carts" in text and "cider" in text
    assert "SCRIPTTEXT" not in text and "never closed" not in text


def test_symlink_outside_not_followed(bad_build):
    _assert_reported(bad_build, "link-out.txt", ("outside",))
    _assert_reported(bad_build, "linked-dir", ("outside",))
    kb = bad_build["kb"]
    assert not [p for p in kb.search("OUTSIDESECRET swordfish password", mode="lexical") if "OUTSIDESECRET" in p.text]
    assert all("OUTSIDESECRET" not in (kb.document_text(d.source) or "") for d in kb.documents())


def test_symlink_inside_followed(bad_build):
    assert bad_build["kb"].document_text("link-in.txt") == TINY_CORPUS["lighthouse.txt"]


@pytest.mark.parametrize("source,words", [("dangling.txt", ("broken symlink",)), ("loop-a.txt", ("loop",)),
                                          ("loop-b.txt", ("loop",))])
def test_broken_and_looping_symlinks_reported(bad_build, source, words):
    _assert_reported(bad_build, source, words)


def test_fifo_not_read(bad_build):
    _assert_reported(bad_build, "pipe.txt", ("not a regular file",))


def test_undecodable_file_name_reported(bad_build):
    errors = [e for e in bad_build["report"]["errors"] if "latin1-name" in e["source"]]
    assert len(errors) == 1 and "not valid UTF-8" in errors[0]["error"]
    errors[0]["source"].encode("utf-8")  # printable and storable
    assert not [d for d in bad_build["kb"].documents() if "latin1-name" in d.source]


def test_hidden_and_temp_files_skipped_silently(bad_build):
    indexed = {d.source for d in bad_build["kb"].documents()}
    reported = {e["source"] for e in bad_build["report"]["errors"]}
    for name in SKIPPED_SILENTLY:
        assert name not in indexed and name not in reported
    assert not [p for p in bad_build["kb"].search("SILENTSKIP ghost", mode="lexical") if "SILENTSKIP" in p.text]


def test_strict_exit_code(bad_build):
    code, out, err = run_cli(["index", "--sources", str(bad_build["sources"]), "--index", str(bad_build["index"]),
                              "--strict"])
    assert code == 7
    assert "added 0, updated 0, removed 0" in out  # the rerun changed nothing and lost nothing
    assert err.count("skipped ") == len(bad_build["report"]["errors"])


# -- file size limit ----------------------------------------------------------------------------------------


def test_50mb_file_refused_by_default_limit(make_kb):
    kb = make_kb(TINY_CORPUS)
    big = kb.settings.sources / "huge.txt"
    line = b"The Brannock lighthouse log repeats this line to fill fifty megabytes of text.\n"
    with big.open("wb") as fh:
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            fh.write(line)
    assert big.stat().st_size >= 50 * 1024 * 1024
    report = kb.build()
    errors = {e.source: e.error for e in report.errors}
    assert "huge.txt" in errors and "max_file_mb" in errors["huge.txt"] and "20 MB limit" in errors["huge.txt"]
    assert set(report.added) == set(TINY_CORPUS)


def test_size_limit_configurable_in_kb_toml(tmp_path):
    sources = tmp_path / "sources"
    write_files(sources, dict(TINY_CORPUS, **{"medium.txt": "word " * 4000, "kb.toml": "[kb]\nmax_file_mb = 0.01\n"}))
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(tmp_path / "index"), "--json"])
    assert code == 0
    errors = {e["source"]: e["error"] for e in json.loads(out)["errors"]}
    assert set(errors) == {"medium.txt"} and "0.01 MB limit" in errors["medium.txt"]
    assert err.strip() == f"skipped medium.txt: {errors['medium.txt']}"


# -- files that change under the build ----------------------------------------------------------------------


def test_file_deleted_while_indexing(make_kb):
    kb = make_kb(dict(TINY_CORPUS, **{"doomed.txt": "This file is deleted after the scan and before it is read."}))
    doomed = kb.settings.sources / "doomed.txt"

    def delete_once(fraction: float, message: str) -> None:
        if doomed.exists():
            doomed.unlink()  # the scan has listed and hashed it; the reader finds it gone

    report = kb.build(on_progress=delete_once)
    assert [(e.source, e.error) for e in report.errors] == [("doomed.txt", "file disappeared while indexing")]
    assert set(report.added) == set(TINY_CORPUS)
    check_index(kb.settings.index)


def test_file_emptied_after_indexing_drops_old_version(make_kb):
    kb = make_kb(TINY_CORPUS)
    kb.build()
    (kb.settings.sources / "glacier.txt").write_bytes(b"")
    report = kb.build()
    assert report.removed == ["glacier.txt"] and [e.source for e in report.errors] == ["glacier.txt"]
    assert "glacier.txt" not in {d.source for d in kb.documents()}
    check_index(kb.settings.index)


# -- many PDFs, fuzzed --------------------------------------------------------------------------------------


def test_many_pdfs_good_blank_and_fuzzed(make_kb):
    rng = random.Random(2024)
    good = make_pdf(["The Tessaly ferry timetable.\nBoats leave hourly from the north pier."])
    files: dict[str, bytes] = {"good.pdf": good, "blank.pdf": make_blank_pdf()}
    for n in range(40):
        data = bytearray(good)
        for _ in range(rng.randint(1, 30)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if n % 3 == 0:
            data = data[: rng.randrange(20, len(data))]
        files[f"fuzz-{n:02d}.pdf"] = bytes(data)
    kb = make_kb(files)
    report = kb.build()  # must not raise, whatever pypdf makes of the bytes
    indexed = {d.source for d in kb.documents()}
    reported = {e.source: e.error for e in report.errors}
    assert "good.pdf" in indexed and "no text layer" in reported["blank.pdf"]
    assert set(files) == indexed | set(reported) and not indexed & set(reported)
    assert all(one_line(r) and ("PDF" in r or "text" in r) for r in reported.values()), reported
    check_index(kb.settings.index)


def test_a_folder_deeper_than_the_path_limit_is_one_line_and_the_rest_is_indexed(tmp_path):
    """A folder whose path is over Linux's 4,096 bytes (made through directory fds; no program reaches it by path)
    ended `kb index` with an ENAMETOOLONG traceback: no index, and `--json` printed nothing."""
    sources = tmp_path / "sources"
    write_files(sources, {"ferry.txt": "The Tessaly ferry sails every hour from the north pier."})
    fd = os.open(sources, os.O_RDONLY)
    try:
        for _ in range(45):  # 45 x 100 bytes
            os.mkdir("d" * 99, dir_fd=fd)
            inner = os.open("d" * 99, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        note = os.open("note.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(note, b"The Tessaly lighthouse has a red lamp.")
        os.close(note)
    finally:
        os.close(fd)
    code, out, err = run_cli(["index", "--sources", str(sources), "--index", str(tmp_path / "index"), "--json"])
    assert code == 0 and "Traceback" not in err, err
    report = json.loads(out)
    assert report["added"] == ["ferry.txt"]
    (deep,) = report["errors"]
    assert deep["source"].startswith("d" * 99 + "/") and "name too long" in deep["error"], deep
