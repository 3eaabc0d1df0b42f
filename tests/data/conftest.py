"""Shared set-up for the data-ingest tests."""

import sys
from pathlib import Path

import pytest

try:
    import began.data  # noqa: F401
except ImportError:  # a plain checkout, without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the default cache at a per-test folder, so no test touches ~/.cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BEGAN_CACHE", str(folder))
    return folder
