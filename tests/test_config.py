"""Settings precedence: defaults < kb.toml beside the sources < KB_* environment < flags; `kb config` shows the result."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest

from kb.cli import main
from kb.config import Settings, load_settings
from kb.errors import ConfigError


@pytest.fixture
def sources(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


def write_toml(folder: Path, text: str) -> None:
    (folder / "kb.toml").write_text(text, encoding="utf-8")


def kb_config(argv: list[str], monkeypatch, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    for key in [k for k in __import__("os").environ if k.startswith("KB_")]:
        monkeypatch.delenv(key)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    out, err = io.StringIO(), io.StringIO()
    code = main(["config", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def test_defaults_without_file_env_or_flags(sources):
    s = load_settings({"sources": sources}, env={})
    assert s == Settings(sources=sources)
    assert s.top_k == Settings.top_k and s.llm_url == ""


def test_each_layer_overrides_the_one_below(sources):
    write_toml(sources, 'top_k = 3\nsearch_k = 4\nmode = "lexical"\nchunk_size = 500\n')
    env = {"KB_SEARCH_K": "6", "KB_MODE": "dense"}
    s = load_settings({"sources": sources, "mode": "hybrid", "llm_timeout": None}, env=env)
    assert s.chunk_size == 500  # file over default
    assert s.top_k == 3  # file over default
    assert s.search_k == 6  # env over file
    assert s.mode == "hybrid"  # flag over env
    assert s.llm_timeout == Settings.llm_timeout  # a None flag means "not given"


def test_kb_table_and_types(sources, tmp_path):
    write_toml(sources, '[kb]\ntop_k = 2\nembed_title = false\nllm_timeout = 5\n')
    user = tmp_path / "user.toml"
    user.write_text('[kb]\nllm_url = "http://127.0.0.1:9"\ntop_k = 9\n', encoding="utf-8")
    env = {"KB_EMBED_TITLE": "yes", "KB_DENSE_WEIGHT": "0.25", "KB_CONFIG": str(user)}
    s = load_settings({"sources": sources}, env=env)
    assert s.top_k == 2 and s.embed_title is True and s.dense_weight == 0.25  # sources kb.toml over user file
    assert s.llm_timeout == 5.0 and isinstance(s.llm_timeout, float) and s.llm_url == "http://127.0.0.1:9"


def test_env_picks_the_sources_folder_whose_toml_is_read(sources, tmp_path):
    write_toml(sources, "top_k = 7\n")
    assert load_settings({}, env={"KB_SOURCES": str(sources)}).top_k == 7
    other = tmp_path / "other"
    other.mkdir()
    assert load_settings({"sources": other}, env={"KB_SOURCES": str(sources)}).top_k == Settings.top_k


def test_unrelated_kb_env_vars_are_ignored(sources):
    s = load_settings({"sources": sources}, env={"KB_LLM_API_KEY": "secret", "KB_SOMETHING": "x"})
    assert "secret" not in str(s.as_dict())


@pytest.mark.parametrize(
    ("toml", "env", "message"),
    [
        ("top_k = 'many'\n", {}, "kb.toml: setting 'top_k' expects int"),
        ("top_k = 3.7\n", {}, "expects int"),
        ("colour = 'blue'\n", {}, "unknown setting 'colour'"),
        ("top_k = [\n", {}, "kb.toml"),
        ("", {"KB_TOP_K": "three"}, "KB_TOP_K"),
        ("", {"KB_MODE": "telepathy"}, "mode must be one of"),
        # a range check says where the setting was set: a file, a variable and a flag can each hold it
        ("chunk_size = 500\nchunk_overlap = 600\n", {}, "chunk_overlap must be at least 0 and smaller than "
                                                        "chunk_size (chunk_size from {toml}; chunk_overlap from {toml})"),
        ("", {"KB_LLM_TIMEOUT": "0"}, "llm_timeout"),
        ("", {"KB_TOP_K": "0"}, "top_k must be at least 1 (top_k from environment variable KB_TOP_K)"),
        # nan and inf pass float() but would crash the size checks and difflib much later, with a traceback
        ("max_file_mb = nan\n", {}, "kb.toml: setting 'max_file_mb' expects a finite number"),
        ("", {"KB_MAX_TEXT_MB": "inf"}, "KB_MAX_TEXT_MB"),
        ("fuzzy_cutoff = 5.0\n", {}, "fuzzy_cutoff must be between 0 and 1"),
        # a TOML boolean for a number: true read as 1.0 made kb abstain on every question
        ("abstain_threshold = true\n", {}, "kb.toml: setting 'abstain_threshold' expects a finite number"),
        # read as the [kb] table alone, top_k = 2 was silently not applied
        ("top_k = 2\n[kb]\nsearch_k = 30\n", {}, "settings both in a [kb] table and outside it (top_k)"),
        ("", {"KB_ABSTAIN_THRESHOLD": "-1"}, "abstain_threshold must be between 0 and 1"),
        ("", {"KB_DEVICE": "tpu"}, "device must be auto, cpu, cuda"),
        # `--llm not-a-url` fell back to the extractive answer on every question, exit 0, as if a model had been asked
        ("", {"KB_LLM_URL": "not-a-url"}, "llm_url must start with http:// or https://, not 'not-a-url'"),
        ("", {"KB_CONFIG": "/nonexistent/kb.toml"}, "KB_CONFIG names /nonexistent/kb.toml, which is not a file"),
    ],
)
def test_bad_settings_are_one_clear_error(sources, toml, env, message):
    if toml:
        write_toml(sources, toml)
    with pytest.raises(ConfigError) as info:
        load_settings({"sources": sources}, env=env)
    message = message.format(toml=sources / "kb.toml")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_kb_config_prints_effective_settings_as_toml(sources, monkeypatch):
    write_toml(sources, "top_k = 3\nsearch_k = 4\n")
    code, out, err = kb_config(["--sources", str(sources), "--model", "my-model"], monkeypatch, {"KB_SEARCH_K": "8"})
    assert code == 0 and err == ""
    printed = tomllib.loads(out)
    assert printed["top_k"] == 3 and printed["search_k"] == 8 and printed["model"] == "my-model"
    assert set(printed) == set(Settings().as_dict())
    # The output is a valid user config file: writing it back reproduces the same settings.
    (sources / "kb.toml").unlink()
    user = sources.parent / "user.toml"
    user.write_text(out, encoding="utf-8")
    code, again, _ = kb_config(["--sources", str(sources)], monkeypatch, {"KB_CONFIG": str(user)})
    assert tomllib.loads(again) == printed


def test_kb_config_bad_value_exits_2_with_one_line(sources, monkeypatch):
    code, out, err = kb_config(["--sources", str(sources)], monkeypatch, {"KB_TOP_K": "0"})
    assert code == 2 and out == ""
    assert err.startswith("kb config: error:") and err.count("\n") == 1 and "top_k" in err


def test_flags_reach_the_knowledge_base(sources, tmp_path):
    from kb import KnowledgeBase

    write_toml(sources, "top_k = 3\n")
    kb = KnowledgeBase(sources, tmp_path / "index", top_k=9, llm_model="m")
    assert kb.settings.top_k == 9 and kb.settings.llm_model == "m" and kb.settings.index == tmp_path / "index"
    assert KnowledgeBase(sources, tmp_path / "index").settings.top_k == 3
