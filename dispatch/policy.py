"""Dispatch policies and solver parameters: named, documented sets of weights.

All costs are in one unit so they can be compared: one unit = one second of travel under
the default policy. A drop penalty is what leaving an order unserved costs; a late cost is
charged per second an order finishes after its SLA deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dispatch.model import Priority

P = Priority
# Drop penalties, shared by the field policies. Each step is >= 10x the next, and urgent
# outweighs a full day's travel of a whole crew (200 x 10 h = 7.2e6 s), so the solver only
# leaves urgent work undone when it cannot be done at all. Normal work is worth ~14 h of
# detour: served whenever any technician can fit it in.
_DROP = {P.URGENT: 10**9, P.HIGH: 10**7, P.NORMAL: 50_000, P.LOW: 10_000}


@dataclass(frozen=True)
class Policy:
    """Weights of the objective.

    - ``second_cost`` / ``meter_cost``: per second / metre of travel.
    - ``drop_penalty``: per unserved order, by priority.
    - ``late_cost``: per second past the SLA deadline, by priority.
    - ``fixed_cost``: per technician who gets any work.
    - ``span_cost``: per second of the longest route (global span): evens out the day.
    - ``fair_share_cost``: per order a technician gets above an even share.
    - ``optional``: orders may be left unserved (False for pure VRPTW: serve all).
    """

    name: str
    second_cost: int = 1
    meter_cost: int = 0
    drop_penalty: Mapping[Priority, int] = field(default_factory=lambda: dict(_DROP))
    late_cost: Mapping[Priority, int] = field(default_factory=dict)
    fixed_cost: int = 0
    span_cost: int = 0
    fair_share_cost: int = 0
    optional: bool = True


URGENT_FIRST = Policy(
    name="urgent-first",
    # Urgent lateness costs like 20 s of travel per second late: on time beats short.
    late_cost={P.URGENT: 20, P.HIGH: 5, P.NORMAL: 1, P.LOW: 0},
)
NEAREST_FIRST = Policy(
    name="nearest-first",
    # Travel dominates; lateness weights are small and only order the priorities.
    second_cost=10,
    late_cost={P.URGENT: 4, P.HIGH: 3, P.NORMAL: 2, P.LOW: 1},
)
BALANCED = Policy(
    name="balanced",
    late_cost={P.URGENT: 20, P.HIGH: 5, P.NORMAL: 1, P.LOW: 0},
    # One order above a fair share costs like 30 min of extra travel; the longest day
    # costs as much again as its own travel.
    span_cost=1,
    fair_share_cost=1_800,
)
# Pure VRPTW (benchmarks): distance only, every order served.
DISTANCE = Policy(name="distance", second_cost=0, meter_cost=1, optional=False)

POLICIES = {p.name: p for p in (URGENT_FIRST, NEAREST_FIRST, BALANCED, DISTANCE)}


@dataclass(frozen=True)
class Params:
    """How to search.

    ``first_solution`` and ``metaheuristic`` name OR-Tools enum members. ``solution_limit``
    stops after that many solutions instead of the clock: with one thread the search is
    then reproducible run to run (a wall-clock limit stops at a machine-dependent point).
    ``warm_start`` picks who builds the first solution: ``"greedy"`` (default,
    :mod:`dispatch.construct`: fast on city-sized days, where OR-Tools' own insertion
    heuristics take minutes), ``"pyvrp"`` (PyVRP's HGS when the problem fits its model, see
    :mod:`dispatch.warmstart`, spending ``warm_start_share`` of the time; falls back to
    ``first_solution``), ``"vroom"`` (VROOM, see :mod:`dispatch.vroom_start`, same share),
    or None (OR-Tools' ``first_solution`` strategy). Problems with more than
    ``parts_above`` orders are solved in parts of about ``part_size`` technicians
    (:mod:`dispatch.decompose`); ``part_size=None`` keeps one model.
    ``search_workers`` is how many cores to use: that many PyVRP searches with different
    seeds (the cheapest start wins), VROOM threads, or parts solved side by side in forked
    processes. 1 keeps everything in the calling process. ``warm_start="auto"`` picks PyVRP
    where the problem fits its model and VROOM otherwise.

    ``keep_better`` (production): each part's search may only replace the part's start
    routes with routes at least as good on every count a dispatcher judges (urgent on time,
    served, travel, SLA lateness; :mod:`dispatch.score`), so the plan never ends worse than
    its start. ``part_rounds`` > 1 cuts the technicians into parts again, differently, after
    each round, so orders can move between technicians of neighbouring parts.
    ``keep_better_travel_weight`` makes travel that many times dearer in the keep-better
    search (see :func:`dispatch.solver.search_policy`). ``vroom_exploration`` is VROOM's
    exploration level (1-5) for the VROOM start.
    ``region_size``: above that many technicians, :func:`dispatch.regions.solve_coords` plans
    region by region, never building the whole day's matrix.
    ``time_limit`` is the whole budget in seconds, used when :func:`dispatch.solve` is not
    given one. :func:`dispatch.production_params` fills all of this in from a problem's size.
    """

    policy: Policy = URGENT_FIRST
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    gls_lambda: float = 0.1
    solution_limit: int | None = None
    warm_start: str | None = "greedy"
    warm_start_share: float = 0.95
    search_workers: int = 1
    log_search: bool = False
    part_size: int | None = 20
    parts_above: int = 500
    keep_better: bool = False
    keep_better_travel_weight: int = 1
    vroom_exploration: int = 5
    part_rounds: int = 1
    time_limit: float | None = None
    region_size: int | None = None


DEFAULT_PARAMS = Params()  # frozen, so one shared default is safe
