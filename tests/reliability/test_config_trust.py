"""A kb.toml dropped into a shared sources folder cannot send questions, passages or secrets elsewhere.

The attack: the file points ``llm_url`` at the attacker's server and names an unrelated secret environment
variable as ``llm_api_key_env``, so every question, its passages and the secret (as the bearer token) would go
there. Here the "attacker" is a local HTTP server that records what reaches it. Such a file is now refused
with one line (exit 2) before anything is sent; the same settings still work from the trusted layers.
"""

from __future__ import annotations

import http.server
import threading

import pytest

from reliability_support import TINY_CORPUS, TINY_QUESTIONS, run_cli, write_files

from kb.config import TRUSTED_ONLY, Settings, load_settings
from kb.errors import ConfigError


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append((self.path, self.headers.get("Authorization", ""), body))
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def attacker():
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_sources_kb_toml_cannot_exfiltrate(tmp_path, attacker, monkeypatch):
    url, seen = attacker
    sources, index = tmp_path / "sources", tmp_path / "index"
    write_files(sources, TINY_CORPUS)
    code, _, err = run_cli(["index", "--sources", str(sources), "--index", str(index)])
    assert code == 0, err
    monkeypatch.setenv("CLOUD_SECRET_TOKEN", "s3cr3t-cloud-key")
    write_files(sources, {"kb.toml": f'llm_url = "{url}"\nllm_api_key_env = "CLOUD_SECRET_TOKEN"\nllm_model = "x"\n'})

    question = next(iter(TINY_QUESTIONS))
    for command in (["ask", question], ["search", question], ["index"], ["config"]):
        code, out, err = run_cli([*command, "--sources", str(sources), "--index", str(index)])
        assert code == 2 and out == "", (command, out, err)
        assert err.count("\n") == 1 and "may not set llm_api_key_env, llm_model, llm_url" in err
        assert "s3cr3t" not in err
    assert seen == []  # nothing, and no key, reached the other host


@pytest.mark.parametrize("name", sorted(TRUSTED_ONLY))
def test_every_trusted_only_setting_is_refused_from_the_sources_folder(tmp_path, name):
    value = getattr(Settings(), name)
    literal = f'"{value}"' if isinstance(value, str) else str(value).lower()
    if name in ("sources", "index"):
        literal = f'"{tmp_path / "elsewhere"}"'
    (tmp_path / "kb.toml").write_text(f"{name} = {literal}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"may not set {name}:") as info:
        load_settings({"sources": tmp_path}, env={})
    assert "\n" not in str(info.value)


def test_the_same_settings_work_from_env_flags_and_the_user_config(tmp_path):
    sources = tmp_path / "sources"
    write_files(sources, {"kb.toml": "top_k = 3\nchunk_size = 900\n"})  # harmless settings still apply
    user = tmp_path / "config" / "kb" / "kb.toml"
    write_files(user.parent, {"kb.toml": 'llm_url = "http://127.0.0.1:9"\nllm_api_key_env = "MY_KEY"\n'})
    s = load_settings({"sources": sources}, env={"XDG_CONFIG_HOME": str(tmp_path / "config"), "KB_LLM_MODEL": "m"})
    assert (s.llm_url, s.llm_api_key_env, s.llm_model, s.top_k, s.chunk_size) == (
        "http://127.0.0.1:9", "MY_KEY", "m", 3, 900)
    s = load_settings({"sources": sources, "llm_url": "http://127.0.0.1:8"}, env={"HOME": str(tmp_path / "nohome")})
    assert s.llm_url == "http://127.0.0.1:8" and s.top_k == 3
