"""servnet.staffing: Erlang B/C formulas against textbook values."""

import pytest

import servnet
from servnet.staffing import erlang_c


def test_textbook_values():
    """lambda=2, mu=1, c=3: B=4/19, C=4/9, ASA=4/9."""
    s = servnet.staffing
    assert s.erlang_b(2.0, 1.0, 3) == pytest.approx(4 / 19)
    assert erlang_c(2.0, 1.0, 3) == pytest.approx(4 / 9)
    assert s.mean_wait(2.0, 1.0, 3) == pytest.approx(4 / 9)
    assert 0 < s.service_level(2.0, 1.0, 3, 0.5) < 1
    assert s.servers_for_mean_wait(2.0, 1.0, 0.45) == 3
    assert s.servers_for_service_level(2.0, 1.0, 0.8, 0.5) >= 3
    assert s.technicians_for_utilisation(30, 1.5, 8, 0.85) == 7


def test_unstable_queue_is_a_data_error():
    """Offered load >= servers: DataError naming the argument."""
    with pytest.raises(servnet.DataError, match="unstable"):
        erlang_c(5.0, 1.0, 3)
