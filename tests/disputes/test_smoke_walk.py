import pytest

from disputes.lifecycle.states import State
from disputes.models import DeadlineStatus


@pytest.mark.django_db
def test_case_walks_the_main_path_to_award(case_at):
    case = case_at("award_issued")
    assert case.state == State.AWARD_ISSUED
    assert case.reference.startswith("AIP-")
    assert case.deadlines.filter(key="correction", status=DeadlineStatus.OPEN).exists()
