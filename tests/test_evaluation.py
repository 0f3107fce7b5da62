"""The evaluation harness: metric primitives on hand-made cases, SQuAD -> corpus conversion, and `kb eval`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from conftest import SHARED_EVAL, seed_questions
from kb.cli import main
from kb.errors import UsageError
from kb.evaluation import EvalQuestion, GoldSpan, Outcome, Span, load_questions, select, squad_corpus, summarize
from kb.evaluation.datasets import article_split, is_squad, load_jsonl, not_stated_in, without_gold_sources
from kb.evaluation.metrics import (
    abstain_precision_recall, answer_correct, calibration, citation_is_valid, first_gold_rank, grouped_interval, hit_at,
    is_gold, mrr_at, overlaps, percentile,
)

# -- metric primitives ------------------------------------------------------------------------------------------


def test_overlap_is_half_open():
    assert overlaps(0, 10, 9, 20)
    assert overlaps(5, 6, 0, 100)
    assert not overlaps(0, 10, 10, 20)  # touching is not overlapping
    assert not overlaps(30, 40, 0, 30)


def test_gold_by_span_and_by_source_prefix():
    squad = EvalQuestion("1", "q?", ("x",), ("a.txt",), (GoldSpan("a.txt", 100, 200),))
    assert is_gold(squad, Span("a.txt", 150, 400))
    assert not is_gold(squad, Span("a.txt", 200, 400))  # right file, next paragraph
    assert not is_gold(squad, Span("b.txt", 150, 180))  # same offsets, other file
    seeds = EvalQuestion("2", "q?", ("x",), ("001", "002"))
    assert is_gold(seeds, Span("001_abc.txt", 0, 5))
    assert is_gold(seeds, Span("sub/002_x.txt", 0, 5))  # prefix of the file name inside a folder
    assert not is_gold(seeds, Span("003_abc.txt", 0, 5))
    assert not is_gold(EvalQuestion("3", "q?", unanswerable=True), Span("001.txt", 0, 5))


def test_rank_hit_and_mrr():
    q = EvalQuestion("1", "q?", ("x",), ("g",))
    ranked = [Span("a", 0, 1), Span("b", 0, 1), Span("g1", 0, 1), Span("g2", 0, 1)]
    assert first_gold_rank(q, ranked) == 3
    assert first_gold_rank(q, ranked, k=2) is None
    ranks = [1, 3, None, 7]
    assert hit_at(ranks, 1) == 0.25
    assert hit_at(ranks, 5) == 0.5
    assert hit_at(ranks, 10) == 0.75
    assert mrr_at(ranks, 10) == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert mrr_at(ranks, 5) == pytest.approx((1 + 1 / 3) / 4)
    assert hit_at([], 1) == 0.0


def test_answer_matching_is_whole_word_and_case_insensitive():
    q = EvalQuestion("1", "Who?", ("Christo Grozev", "Bellingcat"), ("001",))
    assert answer_correct(q, Outcome([], "the letter was checked by christo GROZEV [1]"))
    assert answer_correct(q, Outcome([], "founded by (Bellingcat)."))
    assert not answer_correct(q, Outcome([], "Christo Grozeva said"))  # not a whole word
    assert not answer_correct(q, Outcome([], "Grozev"))  # only part of the gold answer
    assert not answer_correct(q, Outcome([], "christo grozev", abstained=True))  # abstaining is never right
    assert not answer_correct(EvalQuestion("2", "q", unanswerable=True), Outcome([], "anything"))


def test_abstain_precision_recall():
    must = [True, True, False, False, True]
    did = [True, False, True, False, True]
    precision, recall = abstain_precision_recall(must, did)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert abstain_precision_recall([False, False], [False, False]) == (None, None)
    assert abstain_precision_recall([True], [False]) == (None, 0.0)


def test_calibration_bins_error_and_brier():
    p = [0.05, 0.15, 0.15, 0.95, 1.0]
    right = [False, True, False, True, True]
    bins, ece, brier = calibration(p, right, edges=(0.0, 0.1, 0.5, 1.0))
    assert [(b.low, b.count) for b in bins] == [(0.0, 1), (0.1, 2), (0.5, 2)]  # 1.0 falls in the last, closed bin
    assert bins[1].predicted == pytest.approx(0.15) and bins[1].observed == pytest.approx(0.5)
    assert bins[2].observed == 1.0
    # |0.05 - 0| * 1 + |0.15 - 0.5| * 2 + |0.975 - 1| * 2, over 5
    assert ece == pytest.approx((0.05 + 0.7 + 0.05) / 5)
    assert brier == pytest.approx((0.05**2 + 0.85**2 + 0.15**2 + 0.05**2 + 0.0) / 5)
    perfect, ece0, _ = calibration([0.0, 1.0], [False, True])
    assert ece0 == 0.0 and len(perfect) == 2
    assert calibration([], []) == ([], None, None)
    with pytest.raises(ValueError):
        calibration([0.5], [])


def test_grouped_interval_resamples_whole_groups():
    # Six "articles" of 50 questions, each all right or all wrong: a question-level bootstrap would put the mean
    # within about +-0.06 of 0.5; by article it can be anything from a draw of six wrong to six right articles.
    values = [float(a % 2) for a in range(6) for _ in range(50)]
    groups = [f"article-{a}" for a in range(6) for _ in range(50)]
    low, high = grouped_interval(values, groups)
    assert low <= 0.5 <= high
    assert high - low > 0.5
    # The same share right in every article: nothing varies between articles, so the interval is the mean itself.
    even = [float(i % 2) for i in range(300)]
    assert grouped_interval(even, groups) == (0.5, 0.5)
    assert grouped_interval([1.0, 0.0], ["a", "b"], seed=3) == grouped_interval([1.0, 0.0], ["a", "b"], seed=3)
    assert grouped_interval([], []) is None
    with pytest.raises(ValueError):
        grouped_interval([1.0], [])


def test_citation_validity_and_percentile():
    text = "Alpha beta. Gamma delta."
    assert citation_is_valid(Span("a", 12, 24, "Gamma delta."), text)
    assert not citation_is_valid(Span("a", 11, 24, "Gamma delta."), text)
    assert not citation_is_valid(Span("a", 12, 99, "Gamma delta."), text)
    assert not citation_is_valid(Span("a", 0, 5, "Alpha"), None)
    assert percentile([5, 1, 3, 2, 4], 50) == 3
    assert percentile([5, 1, 3, 2, 4], 95) == 5
    assert percentile([], 50) is None


def test_summarize_counts_and_denominators():
    gold = ("g",)
    questions = [
        EvalQuestion("1", "a?", ("alpha",), gold, split="tune"),
        EvalQuestion("2", "b?", ("beta",), gold, split="tune"),
        EvalQuestion("3", "c?", ("gamma",), gold, split="heldout"),
        EvalQuestion("4", "d?", unanswerable=True, split="heldout"),
    ]
    good = Span("g1", 0, 5, "alpha")
    bad = Span("x1", 0, 5, "noise")
    outcomes = [
        Outcome([good, bad], "alpha [1]", citations=[good], ms=10, valid_citations=1),
        Outcome([bad, good], "wrong [1]", citations=[bad], ms=20, valid_citations=0),
        Outcome([bad], "", abstained=True, ms=30, valid_citations=0),
        Outcome([bad], "", abstained=True, ms=40, valid_citations=0),
    ]
    report = summarize("t", questions, outcomes)
    m, c = report.metrics, report.counts
    assert (c["answerable"], c["unanswerable"], c["hits1"], c["hits5"]) == (3, 1, 1, 2)
    assert m["hit1"] == pytest.approx(1 / 3) and m["hit5"] == pytest.approx(2 / 3)
    assert m["mrr10"] == pytest.approx((1 + 0.5) / 3)
    assert m["answer_accuracy"] == pytest.approx(1 / 3)
    assert m["citation_accuracy"] == pytest.approx(1 / 2)  # of the two answered answerable questions
    assert m["citation_validity"] == pytest.approx(1 / 2)
    assert m["abstain_precision"] == pytest.approx(1 / 2) and m["abstain_recall"] == 1.0
    assert m["p50_ms"] == 20 and m["p95_ms"] == 40
    assert set(report.splits) == {"tune", "heldout"}
    assert report.splits["tune"].counts["questions"] == 2
    assert report.splits["heldout"].metrics["hit1"] == 0.0
    assert [r.id for r in report.failures()] == ["2", "3"]
    assert json.loads(json.dumps(report.to_json()))["splits"]["tune"]["counts"]["hits1"] == 1
    # No must-abstain question: the wrong abstention costs answer accuracy, abstain precision is not defined.
    tune = report.splits["tune"]
    assert tune.metrics["abstain_precision"] is None and tune.metrics["abstain_recall"] is None
    assert report.splits["heldout"].metrics["abstain_precision"] == pytest.approx(1 / 2)


# -- question files ----------------------------------------------------------------------------------------------


def write_squad(path: Path) -> dict:
    """A tiny SQuAD v1.1 file with whitespace and newlines inside contexts, like the real sample."""
    data = {"version": "1.1", "data": [
        {"title": "Lighthouse_keeping", "paragraphs": [
            {"context": "The Pharos lighthouse stood at Alexandria for centuries.",
             "qas": [{"id": "a1", "question": "Where did the Pharos lighthouse stand?",
                      "answers": [{"text": "Alexandria"}]}]},
            {"context": " Keepers trimmed the wicks every four hours.\nOil came by boat.",
             "qas": [{"id": "a2", "question": "How often did keepers trim the wicks?",
                      "answers": [{"text": "every four hours"},
                                  {"text": "four hours"}]}]},
        ]},
        {"title": "Beekeeping", "paragraphs": [
            {"context": "A queen bee can lay two thousand eggs in a single day.",
             "qas": [{"id": "b1", "question": "How many eggs can a queen bee lay in a day?",
                      "answers": [{"text": "two thousand"}]}]},
        ]},
        {"title": "Glassblowing", "paragraphs": [
            {"context": "Glassblowers shape molten glass with a long blowpipe made of iron.",
             "qas": [{"id": "c1", "question": "What is a blowpipe made of?",
                      "answers": [{"text": "iron"}]}]},
        ]},
    ]}
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                for answer in qa["answers"]:
                    answer["answer_start"] = paragraph["context"].index(answer["text"])
    path.write_text(json.dumps(data), encoding="utf-8")
    return data


def test_squad_corpus_spans_are_the_paragraphs(tmp_path):
    data = write_squad(tmp_path / "squad.json")
    corpus = squad_corpus(tmp_path / "squad.json", tmp_path / "corpus")
    assert sorted(corpus.written) == sorted(p.name for p in (tmp_path / "corpus").iterdir() if p.name != ".kb-squad")
    assert len(corpus.written) == 3
    for article, raw in zip(corpus.articles, data["data"]):
        text = (tmp_path / "corpus" / article.source).read_text(encoding="utf-8")
        assert text.splitlines()[0] == raw["title"].replace("_", " ")
        assert len(article.paragraph_spans) == len(raw["paragraphs"])
        for (start, end), paragraph in zip(article.paragraph_spans, raw["paragraphs"]):
            assert text[start:end] == paragraph["context"]
            for qa in paragraph["qas"]:
                for answer in qa["answers"]:  # SQuAD offsets stay valid inside the paragraph span
                    at = start + answer["answer_start"]
                    assert text[at:at + len(answer["text"])] == answer["text"]
    by_id = {q.id: q for q in corpus.questions}
    assert by_id["a2"].answers == ("every four hours", "four hours")
    a2_span = by_id["a2"].spans[0]
    lighthouse = corpus.articles[0]
    assert (a2_span.source, a2_span.start, a2_span.end) == (lighthouse.source, *lighthouse.paragraph_spans[1])
    assert [by_id[i].split for i in ("a1", "b1", "c1")] == ["tune", "heldout", "tune"]
    assert [article_split(i) for i in range(4)] == ["tune", "heldout", "tune", "heldout"]
    # A second conversion changes nothing, so the index update after it is a no-op.
    assert squad_corpus(tmp_path / "squad.json", tmp_path / "corpus").written == []
    assert is_squad(tmp_path / "squad.json")
    assert [q.id for q in load_questions(tmp_path / "squad.json")] == ["a1", "a2", "b1", "c1"]


def test_select_splits_and_samples_deterministically(tmp_path):
    write_squad(tmp_path / "squad.json")
    questions = load_questions(tmp_path / "squad.json")
    assert [q.id for q in select(questions, "heldout")] == ["b1"]
    assert [q.id for q in select(questions, "tune")] == ["a1", "a2", "c1"]
    sample = select(questions, "all", limit=2, seed=7)
    assert len(sample) == 2 and sample == select(questions, "all", limit=2, seed=7)
    assert [q.id for q in sample] == [q.id for q in questions if q in sample]  # file order kept
    with pytest.raises(UsageError):
        select(questions, "dev")


def test_without_gold_sources_leaves_only_files_that_cannot_answer(tmp_path):
    files = []
    for name, text in (("000_a.txt", "Osechkin lives in France."), ("001_b.txt", "He is exiled in FRANCE now."),
                       ("002_c.txt", "Osechkin runs a website."), ("003_d.txt", "Grozev analyzed the letter.")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(tmp_path / name)
    where = EvalQuestion("p1", "Where does Osechkin live?", ("France",), ("000",))
    who = EvalQuestion("p2", "Who analyzed it?", ("Grozev",), ("003",))
    everywhere = EvalQuestion("p3", "What is it about?", ("a",), ("000", "001", "002", "003"))
    groups = without_gold_sources([where, who, everywhere], files)
    left = {q.id: [f.name for f in fs] for fs, group in groups for q in group}
    # 001 is not listed as a source but holds the gold answer (any case): it could answer, so it goes too
    assert left == {"p1": ["002_c.txt", "003_d.txt"], "p2": ["000_a.txt", "001_b.txt", "002_c.txt"]}


def test_not_stated_in_keeps_only_questions_no_file_answers(tmp_path):
    """Other documents of the same domain: a question whose gold answer one of them holds (any case, whole words) may
    be answered there in other words, so only the rest must be abstained on."""
    files = []
    for name, text in (("01_a.txt", "Moscow named the islands in 1945."), ("02_b.txt", "The FRANCE office closed.")):
        (tmp_path / name).write_text(text, encoding="utf-8")
        files.append(tmp_path / name)
    questions = [EvalQuestion("p1", "Where does Osechkin live?", ("France",)),
                 EvalQuestion("p2", "When?", ("1944", "in 1945")), EvalQuestion("p3", "Who analyzed it?", ("Grozev",)),
                 EvalQuestion("p4", "What year?", ("194",)), EvalQuestion("u1", "Nothing?", (), unanswerable=True)]
    assert [q.id for q in not_stated_in(questions, files)] == ["p3", "p4"]


def test_jsonl_loading_and_errors(tmp_path):
    good = tmp_path / "qa.jsonl"
    good.write_text('{"q": "Who?", "answers": ["A"], "sources": ["001"]}\n\n'
                    '{"id": "u", "q": "Nobody?", "answers": [], "sources": [], "unanswerable": true}\n', encoding="utf-8")
    questions = load_jsonl(good)
    assert [q.unanswerable for q in questions] == [False, True]
    assert questions[0].sources == ("001",) and questions[1].id == "u"
    assert not is_squad(good)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "Who?", "answers": ["A"]}\nnot json\n', encoding="utf-8")
    with pytest.raises(UsageError, match=":2:"):
        load_jsonl(bad)
    with pytest.raises(UsageError, match="no such"):
        load_questions(tmp_path / "missing.jsonl")
    # A field of the wrong type was read a character at a time, or "false" as true: silently wrong metrics.
    for line, message in (('{"q": "Who?", "answers": "Barack Obama"}', '"answers" must be a list'),
                          ('{"q": "Who?", "sources": "004"}', '"sources" must be a list'),
                          ('{"q": "Who?", "answers": ["A"], "unanswerable": "false"}', '"unanswerable" must be true')):
        bad.write_text(line + "\n", encoding="utf-8")
        with pytest.raises(UsageError, match=message):
            load_jsonl(bad)
    bom = tmp_path / "bom.jsonl"  # as some editors save it
    bom.write_text('\ufeff{"q": "Who?", "answers": ["A"]}\n', encoding="utf-8")
    assert load_jsonl(bom)[0].question == "Who?"


# -- kb eval end to end -------------------------------------------------------------------------------------------


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["eval", *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def assert_consistent(data: dict) -> None:
    m, c = data["metrics"], data["counts"]
    for key, value in m.items():
        if value is not None and not key.endswith("_ms"):
            assert 0.0 <= value <= 1.0, key
    if c["answerable"]:
        assert m["hit1"] == pytest.approx(c["hits1"] / c["answerable"], abs=1e-4)
        assert m["hit5"] == pytest.approx(c["hits5"] / c["answerable"], abs=1e-4)
        assert m["answer_accuracy"] == pytest.approx(c["correct"] / c["answerable"], abs=1e-4)
        assert c["hits1"] <= c["hits5"] <= c["hits10"] <= c["answerable"]
    assert c["questions"] == c["answerable"] + c["unanswerable"]
    assert c["valid_citations"] == c["citations"]
    if c["citations"]:
        assert m["citation_validity"] == 1.0


def test_kb_eval_on_seed_questions(seed_kb):
    questions = seed_questions()
    code, out, err = run_cli(str(SHARED_EVAL / "seed_qa.jsonl"), "--json",
                             "--sources", str(seed_kb.settings.sources), "--index", str(seed_kb.settings.index))
    assert code == 0, err
    data = json.loads(out)
    assert data["counts"]["questions"] == len(questions)
    assert data["counts"]["unanswerable"] == sum(bool(q.get("unanswerable")) for q in questions)
    assert data["counts"]["citations"] > 0
    assert_consistent(data)
    assert data["metrics"]["hit10"] > 0.5  # the seeds index finds most gold sources


def test_kb_eval_details_carry_the_confidence_each_answer_was_given_on(seed_kb):
    """Per question, the probability kb decided on: what a user needs to read kb's risk on their own questions."""
    code, out, err = run_cli(str(Path(__file__).parent / "data" / "seed_unanswerable.jsonl"), "--json", "--details",
                             "--sources", str(seed_kb.settings.sources), "--index", str(seed_kb.settings.index))
    assert code == 0, err
    results = json.loads(out)["results"]
    threshold = seed_kb.settings.abstain_threshold
    assert all(r["confidence"] >= threshold for r in results if not r["abstained"])
    assert all(r["confidence"] < threshold for r in results if r["abstained"])
    assert {r["abstained"] for r in results} == {True, False}  # both sides of the threshold are checked
    # and what each answer cited, to read a wrong citation without asking again; an abstention cites nothing
    assert all(r["citations"] for r in results if not r["abstained"])
    assert all(not r["citations"] for r in results if r["abstained"])
    for r in results:
        for c in r["citations"]:
            assert seed_kb.document_text(c["source"])[c["start"]:c["end"]] == c["text"]


def test_kb_eval_squad_file_builds_its_corpus_and_finds_gold_paragraphs(tmp_path, seed_kb):
    write_squad(tmp_path / "squad.json")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    code, out, err = run_cli(str(tmp_path / "squad.json"), "--json", "--sources", str(corpus), "--index", str(index))
    assert code == 0, err
    data = json.loads(out)
    assert sorted(p.name for p in corpus.iterdir()) == [".kb-squad", "00_Lighthouse_keeping.txt", "01_Beekeeping.txt",
                                                         "02_Glassblowing.txt"]
    assert data["counts"]["questions"] == 4
    assert data["metrics"]["hit10"] == 1.0  # every chunk is in the top 10 of a 3-file index: spans must line up
    assert set(data["splits"]) == {"tune", "heldout"}
    assert_consistent(data)

    # The same questions against the seeds index: nothing there answers them, so all must be abstained on.
    code, out, err = run_cli(str(tmp_path / "squad.json"), "--json", "--unanswerable", "--split", "tune",
                             "--sources", str(seed_kb.settings.sources), "--index", str(seed_kb.settings.index))
    assert code == 0, err
    data = json.loads(out)
    assert data["counts"]["questions"] == data["counts"]["unanswerable"] == 3
    assert data["metrics"]["hit1"] is None
    assert data["metrics"]["abstain_recall"] == pytest.approx(data["counts"]["abstained"] / 3, abs=1e-4)
    assert_consistent(data)


def test_kb_eval_of_a_squad_file_never_writes_into_a_users_folder_or_index(tmp_path, make_kb):
    """`kb eval squad.json --sources mydocs` overwrote a user's file named like an article and added the others beside
    it; `--index myindex` replaced the user's index with the articles. Both are refused; kb's own folders are reused."""
    squad = tmp_path / "squad.json"
    write_squad(squad)
    mine = tmp_path / "mydocs"
    mine.mkdir()
    (mine / "00_Lighthouse_keeping.txt").write_text("My notes: the meeting is on Friday.\n")
    code, out, err = run_cli(str(squad), "--sources", str(mine), "--index", str(tmp_path / "new-index"))
    assert code == 2 and "holds other files" in err
    assert (mine / "00_Lighthouse_keeping.txt").read_text() == "My notes: the meeting is on Friday.\n"
    assert sorted(p.name for p in mine.iterdir()) == ["00_Lighthouse_keeping.txt"]
    kb = make_kb({"a.txt": "Apples\n\nApples are red.\n"})
    kb.build()
    code, out, err = run_cli(str(squad), "--index", str(kb.settings.index))
    assert code == 2 and "is an index of other documents" in err
    assert [d.source for d in kb.documents()] == ["a.txt"]
    corpus, index = tmp_path / "squad-corpus", tmp_path / "squad-index"  # new folders: kb's own, then reused
    for _ in range(2):
        code, out, err = run_cli(str(squad), "--json", "--sources", str(corpus), "--index", str(index))
        assert code == 0, err


def test_kb_eval_table_and_bad_input(tmp_path, seed_kb):
    seed_questions()  # skips where ../shared/eval is absent
    code, out, err = run_cli(str(SHARED_EVAL / "seed_qa.jsonl"), "--limit", "3", "--sources",
                             str(seed_kb.settings.sources), "--index", str(seed_kb.settings.index))
    assert code == 0, err
    assert "hit@1" in out and "citation validity" in out and "3 questions" in out
    code, out, err = run_cli(str(tmp_path / "nope.jsonl"))
    assert code == 2 and err.count("\n") == 1 and "no such question file" in err
    code, out, err = run_cli(str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "is a folder: give a question file" in err
    (tmp_path / "broken.json").write_text('{"data": [{"title": "x"}]}', encoding="utf-8")
    code, out, err = run_cli(str(tmp_path / "broken.json"), "--sources", str(tmp_path / "c"), "--index", str(tmp_path / "i"))
    assert code == 2 and "not SQuAD v1.1" in err and err.count("\n") == 1


def test_kb_eval_warns_of_gold_sources_that_name_no_indexed_document(tmp_path, seed_kb):
    """A gold source that names no indexed file (a typo, a file left out) made its questions misses without a word."""
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "x1", "q": "Who verified the letter?", "answers": ["Grozev"],
                                     "sources": ["000", "999_missing.txt"], "unanswerable": False}) + "\n" +
                         json.dumps({"id": "x2", "q": "What does FSB stand for?", "answers": ["Federal Security"],
                                     "sources": ["001"], "unanswerable": False}) + "\n", encoding="utf-8")
    where = ["--sources", str(seed_kb.settings.sources), "--index", str(seed_kb.settings.index)]
    code, out, err = run_cli(str(questions), *where)
    assert code == 0 and err.strip() == ("kb eval: warning: gold sources that name no indexed document: "
                                         "'999_missing.txt'; nothing kb cites can match them")
    questions.write_text(questions.read_text(encoding="utf-8").replace(', "999_missing.txt"', ""), encoding="utf-8")
    assert "warning" not in run_cli(str(questions), *where)[2]
