"""The partial index behind a technician's load must cover exactly the states that count as load,
or the planner stops using it (and capacity checks read the table) without any test failing."""

from backend.models import Order
from backend.models.orders import IN_HAND_STATES
from backend.orders.transitions import ACTIVE


def test_the_in_hand_index_covers_exactly_the_states_that_count_as_load():
    index = next(i for i in Order.__table__.indexes if i.name == "ix_orders_in_hand")
    assert set(IN_HAND_STATES) == set(ACTIVE)
    assert str(index.dialect_options["postgresql"]["where"]) == f"status IN {tuple(ACTIVE)}"
