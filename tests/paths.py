"""Where the test data lives: the repo's seeds/ and the shared evaluation sets beside the clone."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def seed_questions() -> list[dict]:
    """The development questions shipped beside the repo (../shared/eval); the test is skipped where absent."""
    import json

    import pytest

    path = SHARED_EVAL / "seed_qa.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
