import sys
import types

import pytest

try:  # channels.testing imports daphne for its live-server test case, which we do not use
    import daphne.testing  # noqa: F401
except ImportError:
    _daphne = types.ModuleType("daphne")
    _testing = types.ModuleType("daphne.testing")
    _testing.DaphneProcess = object  # type: ignore[attr-defined]
    _daphne.testing = _testing  # type: ignore[attr-defined]
    sys.modules.setdefault("daphne", _daphne)
    sys.modules.setdefault("daphne.testing", _testing)

from polku.live import engine


@pytest.fixture(autouse=True)
def _fresh_rooms():
    engine.rooms_reset()
    yield
    engine.rooms_reset()
