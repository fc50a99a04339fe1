"""Engine tests that step time run on a pinned clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from modbatch.engine import clock

NOW = datetime(2026, 12, 1, 10, 0, 0)


@pytest.fixture
def pinned_clock():
    """The engine's clock stands at NOW until the test moves it."""
    clock.pin(NOW)
    yield NOW
    clock.pin(None)
