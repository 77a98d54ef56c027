"""Pure dispatch logic: the problem model, policies, the OR-Tools routing solver, plans.

Build a :class:`Problem`, pick :class:`Params` (a :class:`Policy` and search settings),
call :func:`solve` or :func:`replan`, read the :class:`Plan`. Real planning runs take their
``Params`` from :func:`production_params`. No Flask, no database.
"""

from dispatch.model import DAY, Order, Priority, Problem, Technician, TimeWindow, eligible
from dispatch.plan import REASONS, Plan, Route, Stop, Unassigned
from dispatch.policy import (
    BALANCED,
    DISTANCE,
    NEAREST_FIRST,
    POLICIES,
    URGENT_FIRST,
    Params,
    Policy,
)
from dispatch.production import production_params
from dispatch.regions import solve_coords
from dispatch.solver import replan, solve

__all__ = [
    "BALANCED",
    "DAY",
    "DISTANCE",
    "NEAREST_FIRST",
    "POLICIES",
    "REASONS",
    "URGENT_FIRST",
    "Order",
    "Params",
    "Plan",
    "Policy",
    "Priority",
    "Problem",
    "Route",
    "Stop",
    "Technician",
    "TimeWindow",
    "Unassigned",
    "eligible",
    "production_params",
    "replan",
    "solve",
    "solve_coords",
]
