"""Shared pytest fixtures."""

from pathlib import Path

import pytest

# The real MNIST / Fashion-MNIST files live beside the project, in ../shared/data.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data():
    """The folder holding the real datasets (``mnist/``, ``fashion-mnist/``), or skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (../shared/data from the repo root)")
    return SHARED_DATA
