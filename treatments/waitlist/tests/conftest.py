import pytest

from .factories import NOW


@pytest.fixture
def frozen(time_machine):
    """The clock stands at Monday 2 March 2026, 10:00 UTC unless a test moves it (with the
    same `time_machine` fixture)."""
    time_machine.move_to(NOW, tick=False)
    return time_machine
