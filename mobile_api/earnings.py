"""A technician's earnings: per day and month, gross, tax withheld, net, shares received."""

from backend.accounts.auth import requires
from backend.money import views
from backend.money.schemas import EarningsOut, MonthQuery
from mobile_api import mobile, my_technician

TAGS = ["earnings"]
SECURITY = [{"BearerAuth": []}]


@mobile.get("/earnings")
@requires("profile:self")
@mobile.input(MonthQuery, location="query", arg_name="query")
@mobile.output(EarningsOut)
@mobile.doc(summary="My earnings in a month", tags=TAGS, security=SECURITY)
def my_earnings(query):
    """Each day of the month (work date) with my pay, shares received from my team's work, gross,
    tax withheld and net, and every finalized record behind them with its lines and the tax
    figures; the month's totals. Amounts in fen."""
    return views.earnings(my_technician().id, query["month"])
