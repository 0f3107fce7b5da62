"""Answers on the seed development set: gold text, cited from a gold source, exact spans, abstention."""

from __future__ import annotations

import re

import pytest

from kb.answer import ABSTAIN_TEXT, answer_contains
from paths import seed_questions_if_present


def _check_citations(kb, answer):
    for c in answer.citations:
        assert kb.document_text(c.source)[c.start : c.end] == c.text
        assert f"[{c.n}]" in answer.answer
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


#: Dev questions kb gets wrong, and why (docs/quality.md). Strict: the day one is answered, this test says so.
#: ("Who verified the letter?" was here until the question-adapted model: the sources say "analyzed", and the
#: plain MiniLM's Grozev sentence scored 0.07 against the 0.14 threshold; 0.32 now, against 0.18. "Which company
#: published the fact check ...?" was here until the learned context model: its answer is only in the site banner,
#: now quoted as the second statement after another sentence of the same article, at confidence 0.23.)
KNOWN_ABSTENTIONS: dict[str, str] = {}


#: Sources seed_qa.jsonl does not list for a question although they state its answer in so many words: citing
#: them is right. The test checks that each one really holds a gold string, so this cannot hide a wrong citation.
#: (002: "A member of Russia's Federal Security Service (FSB) leaked this information"; with the default top_k 5
#: its passage outranks the listed sources' passages, which k=8 and up also cite.)
ALSO_STATED_IN = {"What does FSB stand for?": ("002",)}


@pytest.mark.parametrize("item", seed_questions_if_present(), ids=lambda q: q["id"])
def test_seed_question(seed_kb, item, request):
    if item["q"] in KNOWN_ABSTENTIONS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_ABSTENTIONS[item["q"]]))
    answer = seed_kb.ask(item["q"])
    _check_citations(seed_kb, answer)
    if item.get("unanswerable"):
        assert answer.abstained and answer.citations == [] and answer.answer == ABSTAIN_TEXT
        return
    assert not answer.abstained, answer.answer
    assert any(answer_contains(answer.answer, gold) for gold in item["answers"]), answer.answer
    also = ALSO_STATED_IN.get(item["q"], ())
    for prefix in also:
        text = next(seed_kb.document_text(p.source) for p in answer.passages if p.source.startswith(prefix))
        assert any(answer_contains(text, gold) for gold in item["answers"]), f"{prefix} does not state the answer"
    assert any(c.source[:3] in (*item["sources"], *also) for c in answer.citations)
    # Every citation supports the statement it is attached to: it shares content with the answer.
    assert all(c.source[:3] in {p.source[:3] for p in answer.passages} or c.source for c in answer.citations)


def test_same_statement_in_several_sources_is_cited_once_each(seed_kb):
    answer = seed_kb.ask("Which islands did the USSR seize at the end of World War II?")
    sources = [c.source for c in answer.citations]
    assert len(set(sources)) >= 2, answer.answer
    # Not repeated text: each source's sentence appears at most once in the answer.
    assert answer.answer.count("Habomai") <= 2


def test_the_answer_in_the_sentence_that_refers_back_is_quoted(seed_kb):
    """The issue's example of a cited wrong answer: "Who did Christo Grozev show the letter to?" quoted only the
    sentence naming Grozev; the answer is in the next one, "He said he showed the letter to ... employees of the
    FSB", whose "he" is Grozev (the antecedent_overlap feature)."""
    answer = seed_kb.ask("Who did Christo Grozev show the letter to?")
    assert not answer.abstained
    assert any("showed the letter to" in c.text or "shown the letter" in c.text for c in answer.citations), answer.answer
    _check_citations(seed_kb, answer)


def test_a_name_one_article_spells_otherwise_is_still_the_same_person(seed_kb):
    """The seeds write "Christo Grozev" (001, 002) and "Christo Grochev" (003). The follow-up "How many FSB contacts
    did he show the letter to?" after an answer naming Grozev found its answer in 003 ("He showed the letter to 'two
    real (current or former) FSB contacts'") and abstained: 003 never says "Grozev". Beside the same given name, the
    other spelling is his (kb.answer.grounding.with_respelled_surnames)."""
    answer = seed_kb.ask("How many FSB contacts did he show the letter to? (Christo Grozev)")
    assert not answer.abstained and answer_contains(answer.answer, "two"), answer.answer
    _check_citations(seed_kb, answer)


@pytest.mark.parametrize(
    "question",
    ["Who analysed the letter published by Osekin?", "Who analyzed the letter published by Ozekin?"],
)
def test_misspelled_names(seed_kb, question):
    answer = seed_kb.ask(question)
    assert not answer.abstained
    assert answer_contains(answer.answer, "Grozev") or answer_contains(answer.answer, "Grochev")


def test_answer_contains_is_whole_word():
    assert answer_contains("Christo Grozev, an expert", "grozev")
    assert not answer_contains("Grozevsky said", "Grozev")
    assert answer_contains("the Federal Security Service (FSB)", "federal security service")
    assert not answer_contains("anything", "")
    assert answer_contains("Bellingcat’s analysis", "Bellingcat")


# -- grounding: the cited documents must mention the names the question is about -----------------------------
PARLIAMENTS = {
    "eu.txt": "European Parliament notes\n\nThe president of the European Parliament is Roberta Metsola, elected "
              "in 2022. The European Parliament meets in Strasbourg.",
    "watt.txt": "Steam engines\n\nThe Scottish engineer James Watt improved the steam engine in 1769.",
}


def test_mentions_allows_plurals_possessives_and_close_forms():
    from kb.answer.grounding import document_words, mentions

    vocabulary = document_words("Bertrand's postulate was proved. The Huguenots fled to South Africa.")
    assert mentions(vocabulary, "bertrand") and mentions(vocabulary, "huguenot") and mentions(vocabulary, "african")
    assert not mentions(vocabulary, "scottish") and not mentions(vocabulary, "bert")


def test_an_acronym_is_defined_by_the_capitalized_words_before_it():
    from kb.text import defined_acronyms

    found = defined_acronyms([
        "Russia's Federal Security Service (FSB) said.",  # the possessive before it is not part of the name
        "the Security Service of the Russian Federation (FSB) and",  # from the initial F on, one word is left
        "Treaty on the Functioning of the European Union (TFEU).",
        "shipped to Japan (JP) by",  # one word: no definition
        "The World Health Organization (WHO) and the United States (US)",  # acronyms that are common words
        "a memo from the U.S. Department of Defense (DOD) said",  # "U.S." ends with a stop: the name starts after it
    ])
    assert found == {"fsb": ({"federal", "security", "service"},),
                     "tfeu": ({"treaty", "functioning", "european", "union"},),
                     "dod": ({"department", "defense"},)}
    # One article adds the country: both long forms name the acronym.
    both = defined_acronyms(["the Federal Security Service of the Russian Federation (FSB)",
                             "the Federal Security Service (FSB)"])
    assert both == {"fsb": ({"federal", "security", "service", "russian", "federation"},
                            {"federal", "security", "service"})}


BOTH_WAYS = {
    "harbour.txt": "Harbour rules\n\nThe Brannock Harbour Authority (BHA) sets the rules for every mooring in the bay.",
    "fines.txt": "Fines in the bay\n\nLast spring the BHA fined the trawler Kestrel 4,000 euros for fishing inside "
                 "the seal reserve. The skipper appealed and lost.",
}


@pytest.mark.parametrize("defined", [True, False])
def test_a_name_spelled_out_is_found_where_the_sources_use_its_acronym(tmp_path, defined):
    """One article spells the agency out, another only says "BHA": a question naming the Brannock Harbour
    Authority is answered from the second when the first defines one as the other. Without the definition the
    names check finds neither "brannock" nor "harbour" in fines.txt, and kb abstains rather than guess."""
    from kb import KnowledgeBase
    from paths import write_files

    files = dict(BOTH_WAYS)
    if not defined:
        files["harbour.txt"] = files["harbour.txt"].replace(" (BHA)", "")
    write_files(tmp_path / "sources", files)
    kb = KnowledgeBase(tmp_path / "sources", tmp_path / "index")
    kb.build()
    answer = kb.ask("How much did the Brannock Harbour Authority fine the trawler Kestrel?")
    if defined:
        assert not answer.abstained and "4,000 euros" in answer.answer
        assert "fines.txt" in {c.source for c in answer.citations}
    else:
        assert answer.abstained and not answer.citations


def test_an_acronym_the_documents_only_spell_out_is_no_absent_name(tmp_path):
    """"Who is the CFO?" of files that write only "Chief Financial Officer" was abstained on: CFO is nowhere in the
    index, and a name the index never mentions cannot be answered (tests/data/trust_staff, tune). A retrieved passage
    whose capitalized words spell the acronym out makes it a name the cited document must mention by either form; an
    acronym nothing spells out stays absent."""
    from kb import KnowledgeBase
    from kb.answer_types import initials_of
    from paths import write_files

    write_files(tmp_path / "sources", {
        "org_chart.md": "# Organisation chart\n\n- Chief Executive Officer: Laura Chen\n"
                        "- Chief Financial Officer: Omar Haddad\n",
        "policy.txt": "Travel policy\n\nClaims over $2,000 need approval from the Chief Financial Officer.\n"})
    kb = KnowledgeBase(tmp_path / "sources", tmp_path / "index")
    kb.build()
    answer = kb.ask("Who is the CFO?")
    assert not answer.abstained and "Omar Haddad" in answer.answer
    assert "org_chart.md" in {c.source for c in answer.citations}
    assert kb.ask("Who is the COO?").abstained
    assert initials_of("Omar Haddad, Chief Financial Officer", "CFO") == ("Chief", "Financial", "Officer")
    assert initials_of("the Department of Marine and Coastal Geoscience", "DMCG") == ("Department", "Marine",
                                                                                  "Coastal", "Geoscience")
    assert initials_of("Omar Haddad, Chief Financial Officer", "COO") is None
    assert initials_of("the CFO signs", "CFO") is None  # written as itself, it is no long form
    assert initials_of("Chief Scientific Officer\nTom Operations", "CTO") is None  # not across a line break
    # Found so, the question is read as its long form: "Who is the CFO?" asks for a person as "Who is the Chief
    # Financial Officer?" does, and a sentence about the post that names no one is no answer.
    write_files(tmp_path / "board", {"board.md": "# Board\n\nThe Chief Financial Officer attends every board meeting "
                                                 "of the company.\n"})
    board = KnowledgeBase(tmp_path / "board", tmp_path / "board-index")
    board.build()
    assert board.ask("Who is the CFO?").abstained
    assert "every board meeting" in board.ask("Which meetings does the CFO attend?").answer


def test_a_question_that_spells_out_an_acronym_gets_the_acronyms_answer(seed_kb):
    """The seed articles say "FSB" (003 says only that) and three of them define it as the Federal Security
    Service. Each answerable seed question about the FSB that kb answers right is answered right with the name
    spelled out too; before the definitions were read, 6 of those 14 abstained (all answered from 003)."""
    import json

    from paths import ROOT

    right = 0
    for path in ("tests/data/seed_paraphrases.jsonl", "tests/data/seed_heldout.jsonl"):
        for line in (ROOT / path).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if "FSB" not in item["q"] or item.get("history") or item["unanswerable"] or "stand for" in item["q"]:
                continue
            short = seed_kb.ask(item["q"])
            if any(answer_contains(short.answer, gold) for gold in item["answers"]):
                spelled = seed_kb.ask(item["q"].replace("FSB", "Federal Security Service"))
                assert any(answer_contains(spelled.answer, gold) for gold in item["answers"]), item["q"]
                right += 1
    assert right >= 10


def test_a_follow_up_about_a_spelled_out_name_is_answered_where_its_acronym_is_used(seed_kb):
    """"it" resolves to the Federal Security Service; the statement that answers is in 003, which says "the FSB"."""
    from kb.query import contextualize

    question = contextualize("What did it declassify in August 2021?", [("What is the Federal Security Service?", "")])
    assert question.endswith("(Federal Security Service)")
    answer = seed_kb.ask(question)
    assert not answer.abstained and "graphic information" in answer.answer
    assert answer.citations[0].source.startswith("003")


@pytest.mark.parametrize("typed, asked", [
    # the question inside a request (asked_question)
    ("Can you tell me which Japanese cabinet member told parliament that the Kurils belong to Japan?",
     "Which Japanese cabinet member told parliament that the Kurils belong to Japan?"),
    ("I'd like to know in what year the FSB was created.", "In what year the FSB was created?"),
    ("do you know where his organization is based", "Where his organization is based?"),
    ("Please tell me: how many emails were sent?", "How many emails were sent?"),
    ("Tell me about the FSB", "Tell me about the FSB"),  # no question word after the frame: its words are the query
    ("Who can tell me what the FSB is?", "Who can tell me what the FSB is?"),
    ("can you tell me where his organization is based? (Igor Sushko)",  # a follow-up as contextualize wrote it
     "Where his organization is based? (Igor Sushko)"),
    # the documents referred to around the question
    ("According to the article, who verified the letter?", "Who verified the letter?"),
    ("Does the text say who verified the letter?", "Who verified the letter?"),
    ("according to the documents who verified the letter", "Who verified the letter?"),
    ("Who verified the letter, according to the sources?", "Who verified the letter?"),
    ("According to the fact-check, what would an invasion turn into?",  # names one document: kept
     "According to the fact-check, what would an invasion turn into?"),
    ("According to Tolbert, what is it?", "According to Tolbert, what is it?"),
    # a greeting before the question and thanks after it (without_pleasantries)
    ("Hi! Who verified the letter? Thanks", "Who verified the letter?"),
    ("ok so who verified the letter?", "Who verified the letter?"),
    ("Quick question: who verified the letter?", "Who verified the letter?"),
    ("Hello there, in what year was it sent?", "In what year was it sent?"),
    ("Hey, can you tell me who verified the letter? Thank you so much.", "Who verified the letter?"),
    ("Well water contamination in Flint?", "Well water contamination in Flint?"),  # no question after "Well"
    ("So-called experts said what?", "So-called experts said what?"),
    ("Hi! The Amazon covers how many acres? Thanks", "The Amazon covers how many acres?"),
    ("Which film won? Thanks to whom?", "Which film won? Thanks to whom?"),  # "Thanks" that asks
    ("who verified the letter pls", "Who verified the letter?"),
    ("Btw, who verified the letter, please?", "Who verified the letter?"),
    ("Please, who verified the letter?", "Who verified the letter?"),
    ("How are members allowed to vote as they please?", "How are members allowed to vote as they please?"),  # a verb
    ("Who sang Please?", "Who sang Please?"),  # a title, not a request
    ("Please Please Me was released when?", "Please Please Me was released when?"),
    ("Hi", "Hi"),
    # a question without its question mark (with_question_mark)
    ("Which country did Russia attack", "Which country did Russia attack?"),
    ("Which country did Russia attack.", "Which country did Russia attack?"),
    ("did Russia attack Japan", "did Russia attack Japan?"),
    ("By what name is that church known today", "By what name is that church known today?"),
    ("According to the fact-check, what would an invasion turn into",
     "According to the fact-check, what would an invasion turn into?"),
    ("FSB letter author", "FSB letter author"),  # a search, not a question: nothing to add
    ("where is his organization based (Igor Sushko)", "where is his organization based? (Igor Sushko)"),
    # capitals on every word (plain_case)
    ("WHO VERIFIED THE LETTER?", "Who verified the letter?"),
    ("Who Verified The Letter?", "Who verified the letter?"),
    ("CAN YOU TELL ME WHO VERIFIED THE LETTER?", "Who verified the letter?"),
    ("Who is Christo Grozev?", "Who is Christo Grozev?"),  # a small word in lowercase: the capitals are names
    ("What does FSB stand for?", "What does FSB stand for?"),
    ("Who Verified the Letter?", "Who Verified the Letter?"),  # headline style: no case rule can tell, kept
    ("FSB?", "FSB?"),  # too short to say anything
    ("WHERE IS HIS ORGANIZATION BASED? (Christo Grozev)",  # the names a follow-up was given keep their case
     "Where is his organization based? (Christo Grozev)"),
    # contractions spelled out (without_contractions): "re", "didn", "ve" are no terms a passage must share
    ("What're chromoplasts?", "What are chromoplasts?"),
    ("Why didn’t Russia attack Japan?", "Why did not Russia attack Japan?"),
    ("What can't Parliament do?", "What cannot Parliament do?"),
    ("Why won't it work?", "Why will not it work?"),
    ("Which powers haven't they conferred, if they've any?", "Which powers have not they conferred, if they have any?"),
    ("What's the FSB?", "What is the FSB?"),
    ("Who's Grozev's source?", "Who is Grozev's source?"),  # "'s" after a name is a possessive
    ("How would it achieve it's goal?", "How would it achieve it's goal?"),  # and "it's" often means "its"
    ("Where'd he go?", "Where'd he go?"),  # "'d": would, had or did
    ("whats the fsb", "what is the fsb?"),  # typed without the apostrophe
    ("Why doesnt Japan agree?", "Why does not Japan agree?"),
    ("Who owns Dont Nod?", "Who owns Dont Nod?"),  # a capital inside the question: a name
    ("What is a cant?", "What is a cant?"),  # "cant" and "wont" are words
    ("WHAT'RE THE FSB'S AIMS", "What are the fsb's aims?"),  # read as shouting, then spelled out
    ("Why Didn't Russia Attack Japan?", "Why did not russia attack japan?"),  # "not" must not hide the Title Case
    # an instruction in place of a question (as_question)
    ("Name the person who verified the letter.", "Who verified the letter?"),
    ("Identify the company that published the fact check", "Which company published the fact check?"),
    ("Tell me the name of the man who verified the letter", "Who verified the letter?"),
    ("Name three countries Russia attacked", "Name three countries Russia attacked"),  # no "the": kept
    ("Show me the letter", "Show me the letter"),  # wants the letter, not a name
    # emoji, emoticons and a run of marks (plain_marks)
    ("Who verified the letter?! 🤔", "Who verified the letter?"),
    ("who verified the letter?? :)", "who verified the letter?"),
    ("Who verified the letter 👍🏽", "Who verified the letter?"),
    ("Who verified the letter ...?", "Who verified the letter?"),
    ("What is (x) in f(x)?", "What is (x) in f(x)?"),
    ("👍", "👍"),
    # what pasting brought along (without_markup)
    ("1. Who verified the letter?", "Who verified the letter?"),
    ("(2) Who verified the letter?", "Who verified the letter?"),
    ("- > Q: Who verified the letter?", "Who verified the letter?"),
    ("-What is FSB?", "What is FSB?"),  # a bullet without its space was read as part of the question
    ("-5 degrees is how cold?", "-5 degrees is how cold?"),  # a minus
    ("Q1: who verified the letter", "who verified the letter?"),
    ("**Who verified the letter?**", "Who verified the letter?"),
    ("`“Who verified the letter?”`", "Who verified the letter?"),
    ('"Who verified the letter"?', "Who verified the letter?"),
    ('What did "Wind of Change" say?', 'What did "Wind of Change" say?'),  # marks inside the question stay
    ('"Wind of Change" was written by whom?', '"Wind of Change" was written by whom?'),
    ('"What did "Wind of Change" say?"', '"What did "Wind of Change" say?"'),  # which quotes pair is unclear
    ("3.5 million people lived where?", "3.5 million people lived where?"),  # a number, not a list's
    ("Q fever is spread how?", "Q fever is spread how?"),
    ("**", "**"),
])
def test_the_question_is_read_as_asked_whatever_way_it_was_typed(typed, asked):
    from kb.query import asked_question

    assert asked_question(typed) == asked


def test_a_question_typed_other_ways_gets_the_questions_answer(seed_kb):
    """Wrapped in a request ("I'd like to know which country ...?" was answered with another sentence than
    "Which country ...?": the frame's words counted as terms the answer must share), without its mark, with a full
    stop, between "Hi!" and "Thanks!" (which cost 29 of 712 right tune answers: the words were read as terms
    and embedded), with a contraction ("What're": "re" was a term), or pasted with a list number, quotes or
    markdown around it (the embedding model read the marks) or with the invisible characters a copy from a web page
    brings, the question is the same question: the same answer, confidence and citations. So is an instruction ("Name the person who ...") for its question."""
    question = "Which country did Russia end up attacking instead of Japan?"
    plain = seed_kb.ask(question)
    assert not plain.abstained and "Ukraine" in plain.answer
    wrapped = [frame + question[0].lower() + question[1:]
               for frame in ("Can you tell me ", "I'd like to know ", "According to the article, ")]
    spelled = seed_kb.ask("What are the Kurils called by Japan?")
    contracted = seed_kb.ask("What're the Kurils called by Japan?")
    assert "Northern Territories" in spelled.answer  # "What're": "re" was a term, and another sentence was quoted
    assert (contracted.answer, contracted.confidence) == (spelled.answer, spelled.confidence)
    pasted = (f"1. {question}", f'"{question}"', f"**{question}**", f"> {question}", question + "! 🤔",
              question[:-1] + " pls", "\ufeff" + question.replace(" ", " \u200b", 2), question[:-1] + "\uff1f")
    instructed = seed_kb.ask("Name the person who verified the letter.")  # abstained on at 0.12 as an instruction
    assert instructed.answer == seed_kb.ask("Who verified the letter?").answer
    for typed in (*wrapped, question[:-1], question[:-1] + ".", f"Hi! {question} Thanks!", *pasted):
        answer = seed_kb.ask(typed)
        assert (answer.answer, answer.confidence) == (plain.answer, plain.confidence)
        spans = [(c.source, c.start, c.end) for c in answer.citations]
        assert spans == [(c.source, c.start, c.end) for c in plain.citations]


def test_a_question_in_capitals_gets_the_questions_answer(seed_kb):
    """Typed in capitals, with every word capitalized or in headline style, every word was a name the documents had
    to mention, and kb abstained on nearly every question (benchmarks/phrasing.py)."""
    question = "Which country did Russia end up attacking instead of Japan?"
    plain = seed_kb.ask(question)
    assert not plain.abstained and "Ukraine" in plain.answer
    headline = "Which Country Did Russia End up Attacking Instead of Japan?"  # small words in lowercase
    for typed in (question.upper(), question.title(), headline):
        answer = seed_kb.ask(typed)
        assert not answer.abstained and "Ukraine" in answer.answer
        assert [c.source for c in answer.citations][:1] == [c.source for c in plain.citations][:1]
    # In headline style, a word the model knows whole is a word ("verified" is in no seed article: as a name it made
    # kb abstain outright); a rarer one stays a name the cited document must mention.
    assert seed_kb.ask("Who Verified the Letter?").answer == seed_kb.ask("Who verified the letter?").answer
    assert seed_kb.retrieve("Who is Christo Grozev?").query.names == ("christo", "grozev")


def test_a_misspelled_word_is_read_as_the_word_it_was_meant_as(seed_kb):
    """"leter" is no word to the embedding model: the sentence that answers "Who verified the letter?" was 0.39
    from the question in cosine instead of 0.57, and kb abstained (confidence 0.03). The query vector now reads the
    model's closest word; terms and names are still the ones typed."""
    plain = seed_kb.ask("Who verified the letter?")
    assert not plain.abstained
    for typed in ("Who verified the leter?", "Who verifed the letter?"):
        retrieval = seed_kb.retrieve(typed)
        assert retrieval.query.embedding_text == "Who verified the letter?"
        answer = seed_kb.ask(typed)
        assert not answer.abstained
        assert [(c.source, c.start, c.end) for c in answer.citations][:1] == \
            [(c.source, c.start, c.end) for c in plain.citations][:1]


def test_only_slips_of_the_keyboard_are_respelled():
    from kb.config import QUESTION_MODEL
    from kb.query import respellings
    from kb.text import content_terms
    from kb.word_vectors import word_vectors_for

    vectors = word_vectors_for(QUESTION_MODEL)
    assert vectors is not None
    indexed = {"letter", "invaded", "osechkin", "signed", "zebra"}.__contains__
    question = "Did Osekin or Zeria invade, as the signer of the leter in the goverment seperated and recieved?"
    found = respellings(question, content_terms(question), vectors, indexed)
    # Kept as typed: "invade", a word the model knows though the index says "invaded"; "Osekin", "Zeria": names
    # (lexical search finds "osechkin"); "signer": formed from a word the model knows. "goverment": not indexed,
    # respelled all the same for the vector; "recieved": two letters swapped.
    assert found == {"leter": "letter", "goverment": "government", "seperated": "separated",
                     "recieved": "received"}
    assert respellings(question, content_terms(question), None, indexed) == {}


def test_a_spelled_out_name_counts_as_the_acronym_in_the_question_terms(seed_kb):
    """Beyond the name check: the words "Federal Security Service" are found in a sentence that says "FSB" when
    the retrieved passages define it, so the sentence of 003 that answers outscores 000's opening sentence, which
    spells the name out but says nothing of August. Before, that one was quoted at confidence 0.83."""
    answer = seed_kb.ask("What the Federal Security Service declassified in August 2021?")
    assert not answer.abstained and "graphic information" in answer.answer
    assert answer.citations[0].source.startswith("003")


def test_only_a_whole_long_form_makes_the_acronym_a_spelling():
    import numpy as np

    from kb.query import QueryContext

    def context(terms: list[str]) -> QueryContext:
        return QueryContext("q", np.zeros(4, dtype=np.float32), {t: [t] for t in terms}, None, None, frozenset())

    acronyms = {"fsb": (frozenset({"federal", "security", "service"}),)}
    whole = context(["federal", "security", "service", "declassified"])
    before = whole.term_share("In August the FSB declassified files.")
    whole.count_acronyms(acronyms)
    assert whole.term_share("In August the FSB declassified files.") == 1.0 > before
    part = context(["security", "service", "declassified"])  # "security service" alone may be any agency's
    part.count_acronyms(acronyms)
    assert part.terms == {"security": ["security"], "service": ["service"], "declassified": ["declassified"]}


def test_answer_from_a_document_that_never_names_the_subject_abstains(make_kb):
    kb = make_kb(PARLIAMENTS)
    kb.build()
    question = "Who is the president of the Scottish Parliament?"
    retrieval = kb.retrieve(question)
    assert "scottish" in retrieval.query.names  # the index knows the word (watt.txt), so no absent-name rule
    best = kb.answerer.candidates(retrieval.query, retrieval.passages, retrieval.sentences, retrieval.document_words)[0]
    assert "Metsola" in best.sentence.text  # the best-scored sentence is about another parliament
    answer = kb.ask(question)
    assert answer.abstained and answer.answer == ABSTAIN_TEXT and not answer.citations


def test_answer_from_a_document_naming_the_subject_stands(make_kb):
    kb = make_kb({**PARLIAMENTS, "holyrood.txt": "Holyrood\n\nThe president of the Scottish Parliament is "
                  "Alison Johnstone, its Presiding Officer since 2021."})
    kb.build()
    answer = kb.ask("Who is the president of the Scottish Parliament?")
    assert not answer.abstained and "Alison Johnstone" in answer.answer
    assert {c.source for c in answer.citations} == {"holyrood.txt"}
    # Names are compared with possessives cut: "Parliament's" asks about the same thing.
    assert not kb.ask("Who is the Scottish Parliament's president?").abstained


def test_a_number_word_in_a_name_is_not_a_name_the_index_must_mention(make_kb):
    """"Second World War" is "World War II" in the document: "second" is not what the question is about."""
    kb = make_kb({"japan.txt": "Intelligence history\n\nHistorically, Japan's military intelligence services were "
                  "strong, but after losing World War II they were simply disbanded at the behest of the victors."})
    kb.build()
    question = "What became of Japan's military intelligence services after its defeat in the Second World War?"
    query = kb.retrieve(question).query
    assert query.absent_names == () and {"world", "war", "japan"} <= set(query.names)
    answer = kb.ask(question)
    assert not answer.abstained and "disbanded" in answer.answer
    # A name the index never mentions still decides before any model, number words or not.
    assert kb.retrieve("What did the Third Reich's navy do in the Second World War?").query.absent_names == ("reich",)


PLACES = {
    "islands.txt": "Island talks\n\nThe islands have been held by Russia since 1945. Japan's foreign minister insisted "
                   "that the four islands had always been Japanese territory, which escalated tensions with Russia. "
                   "Russia answered by holding military drills near the islands in March.",
    "exile.txt": "An activist abroad\n\nThe activist Lev Sorokin runs a website about prisons. He has lived in "
                 "exile in France since 2015 and writes about torture in Russian jails.",
}


def test_a_capital_is_found_where_the_documents_name_its_country(make_kb):
    """"Tokyo" and "Moscow" for Japan and Russia, as questions written in other words than their source say them
    (kb.place_names). Before, the index had never seen "Tokyo": the absent-name rule abstained. A city that is not
    a capital stays a name the documents must mention, and a people's name is never found as its country: "which
    French city" asks for a city, and "exile in France" is no answer to it."""
    kb = make_kb(PLACES)
    kb.build()
    answer = kb.ask("What did the insistence of Tokyo's foreign minister do to tensions?")
    assert not answer.abstained and "escalated tensions" in answer.answer
    assert {c.source for c in answer.citations} == {"islands.txt"}
    query = kb.retrieve("What did Moscow hold near the islands in March?").query
    assert query.absent_names == () and "moscow" in query.names and "russia" in query.terms["moscow"]
    assert "military drills" in kb.ask("What did Moscow hold near the islands in March?").answer
    assert kb.retrieve("What did Osaka's top diplomat insist?").query.absent_names == ("osaka",)
    assert kb.ask("What did Osaka's top diplomat insist?").abstained
    unsaid = kb.ask("In which French city does Lev Sorokin live?")
    assert unsaid.abstained and not unsaid.citations



def test_a_place_asked_about_as_a_place_is_not_its_country(make_kb):
    """A user-style hunt found "What is the population of Tokyo?" answered with Japan's at 0.96, and "How many
    people did police in Poland arrest?" with Budapest's arrests: "Poland" stood for "polish", whose prefix matched
    "police". A place after "in", "of" ... is the place itself, and another name of it must be written out."""
    kb = make_kb({
        "japan.txt": "Japan\n\nJapan has a population of 124 million, and its government plans to buy 400 missiles.",
        "budapest.txt": "Budapest\n\nPolice in Budapest arrested 14 people during protests over the new labour policy.",
        "eu.txt": "Enlargement\n\nPoland joined the EU in 2004, and Warsaw hosted the signing ceremony.",
    })
    kb.build()
    for question in ("What is the population of Tokyo?", "How many people did police in Poland arrest?"):
        answer = kb.ask(question)
        assert answer.abstained and not answer.citations, question
    assert "400" in kb.ask("How many missiles does Tokyo plan to buy?").answer  # Tokyo for Japan's government
    from kb.place_names import standing_for

    assert standing_for("What is the population of Tokyo?", "tokyo") == set()
    assert standing_for("How many people live in the city of Paris?", "paris") == set()
    assert standing_for("What did Tokyo's top diplomat say?", "tokyo") == {"japan"}

def test_a_countrys_other_names_are_its_capital_and_its_peoples_name():
    from kb.place_names import other_names

    assert other_names("tokyo") == {"japan"} and other_names("moscow") == {"russia"}
    assert {"tokyo", "japanese"} <= other_names("japan") and {"paris", "french"} <= other_names("france")
    assert other_names("japanese") == set() and other_names("french") == set()  # a people's name stays itself
    # Capitals of small places that are also common words or names stand for nothing; nor does a city for a city.
    assert other_names("victoria") == set() and other_names("hamilton") == set() and other_names("male") == set()
    assert "osaka" not in other_names("tokyo") and other_names("osaka") == set()


def test_citation_markers_of_a_statement_are_in_number_order(seed_kb):
    """"What does FSB stand for?" read "... reported in a report. [2][1]": the statement's own passage was numbered
    after another article that states it too."""
    answer = seed_kb.ask("What does FSB stand for?")
    groups = re.findall(r"((?:\[\d+\])+)", answer.answer)
    assert groups and any(len(g) > 3 for g in groups)  # a statement cited twice: the order is tested
    for group in groups:
        numbers = [int(n) for n in re.findall(r"\d+", group)]
        assert numbers == sorted(numbers), answer.answer


def test_without_the_country_data_a_place_is_read_as_written(monkeypatch, caplog):
    """A virtual environment made before kb depended on countryinfo still answers: names are read as written, and
    the log says what is missing."""
    import sys

    from kb import place_names

    place_names._table.cache_clear()
    monkeypatch.setitem(sys.modules, "countryinfo", None)  # import fails as if not installed
    try:
        assert place_names.other_names("tokyo") == set()
        assert "countryinfo is not installed" in caplog.text
    finally:
        place_names._table.cache_clear()
    monkeypatch.undo()
    assert place_names.other_names("tokyo") == {"japan"}
