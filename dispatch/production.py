"""The one place that decides how a real planning run searches: :func:`production_params`.

The planning jobs (plan and re-plan) and ``bench/city_day.py --production`` call it, so the
configuration users get is the one the benchmarks measure. Pure: sizes in, :class:`Params` out.
"""

from __future__ import annotations

import os

from dispatch.policy import Params, Policy

# Budget when the caller gives none: 5 s for a handful of orders, about a minute for a
# 2,000-order city day, capped at 5 minutes for a province.
MIN_BUDGET_S, BUDGET_PER_ORDER_S, MAX_BUDGET_S = 5.0, 0.0275, 300.0
# Cap on the start's share of the budget (VROOM or PyVRP). At exploration level 1 VROOM
# usually stops far earlier (~16 s of a minute on a city day) and the parts get the rest;
# the cap only bites on a loaded machine, where a cut start would cost more than the parts
# can win back (bench/RESULTS.md, "Production settings").
START_SHARE = 0.8
# Where PyVRP may build the start it keeps the search to itself: on Gehring-Homberger (dev set,
# 10 s) OR-Tools after it found nothing while building its model cost PyVRP time. With 2% of the
# budget left under 0.5 s (budgets under 25 s) the OR-Tools search is skipped (dispatch.solver).
PYVRP_SHARE = 0.98
# VROOM's lowest exploration level reaches on a city day in ~16 s what its default (5)
# reaches in 60 s (bench/RESULTS.md); the time left goes to the parts' search.
VROOM_EXPLORATION = 1
# Travel is this many times dearer in the keep-better search, which only accepts routes whose
# travel does not rise (dispatch.solver.search_policy).
KEEP_BETTER_TRAVEL_WEIGHT = 10
PART_SIZE = 20  # technicians per part: OR-Tools' local search moves well at this size
PARTS_ABOVE = 500  # orders: below this one OR-Tools model holds the whole day
PART_ROUNDS = 2  # the second round re-cuts the parts so orders cross the first round's borders
# Above this many technicians a day is planned region by region (dispatch.regions): no
# whole-day matrix, ~REGION_SIZE technicians and their orders per region.
REGIONS_ABOVE, REGION_SIZE = 300, 100


def available_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _pyvrp_max_places() -> int:
    # Up to this size the start may be PyVRP's, which uses all the time it is given and is
    # worth it (Solomon, Gehring-Homberger); VROOM at level 1 stops by itself long before.
    from dispatch.warmstart import MAX_PLACES

    return MAX_PLACES


def default_budget(n_orders: int) -> float:
    """Seconds a planning run gets when nobody says otherwise."""
    return min(MAX_BUDGET_S, max(MIN_BUDGET_S, MIN_BUDGET_S + BUDGET_PER_ORDER_S * n_orders))


def production_params(
    n_orders: int,
    n_technicians: int,
    policy: Policy,
    cores: int | None = None,
    time_budget_s: float | None = None,
) -> Params:
    """How to plan a day of ``n_orders`` orders for ``n_technicians`` technicians.

    - Start: ``"auto"``: PyVRP's genetic search where the problem fits its model (one window,
      no eligibility, no pins: textbook VRPTW), otherwise VROOM with skills, windows and
      priorities (every field day). Both use all ``cores``.
    - Then OR-Tools' guided local search prices SLA lateness and the policy's weights: one
      model up to ``PARTS_ABOVE`` orders, else parts of ``PART_SIZE`` technicians solved
      side by side on ``cores`` processes, in ``PART_ROUNDS`` differently cut rounds.
    - ``keep_better``: a part's routes are only replaced by routes at least as good on urgent
      orders on time, orders served, travel and lateness, so the plan is never worse than
      its start on any of them.
    - ``region_size``: above ``REGIONS_ABOVE`` technicians, plan region by region
      (:func:`dispatch.solve_coords`), so no whole-day matrix is built.
    - ``time_limit``: ``time_budget_s``, or :func:`default_budget` of the size.
    """
    cores = max(1, cores or available_cores())
    big = n_orders > PARTS_ABOVE and n_technicians > PART_SIZE
    return Params(
        policy=policy,
        warm_start="auto",
        warm_start_share=PYVRP_SHARE if n_orders < _pyvrp_max_places() or not big else START_SHARE,
        search_workers=cores,
        part_size=PART_SIZE,
        parts_above=PARTS_ABOVE,
        part_rounds=PART_ROUNDS if big else 1,
        keep_better=True,
        keep_better_travel_weight=KEEP_BETTER_TRAVEL_WEIGHT,
        vroom_exploration=VROOM_EXPLORATION,
        time_limit=float(time_budget_s) if time_budget_s else default_budget(n_orders),
        region_size=REGION_SIZE if n_technicians > REGIONS_ABOVE else None,
    )
