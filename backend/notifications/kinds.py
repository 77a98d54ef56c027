"""What a technician can be notified of. A list to extend (payouts, claim decisions join when
those capabilities land): each kind has its text and says when it is urgent.

Urgent and safety notifications ignore quiet hours and muted kinds; an urgent one that is not
acknowledged in time also goes out by SMS.
"""

# ruff: noqa: RUF001  (Chinese text uses full-width punctuation on purpose)

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    title: str  # Simplified Chinese first: the app and the phones are in Chinese
    body: str  # str.format(**data)
    always_urgent: bool = False


KINDS = {
    "offer": Kind("新工单可抢", "工单 #{order_id}（{work_type}）正在派发，先到先得。"),
    "assignment": Kind("新派单", "工单 #{order_id}（{work_type}）已派给您，请尽快确认。"),
    "rework": Kind("工单被退回", "工单 #{order_id} 被退回，请按意见处理：{reason}"),
    "cancellation": Kind("工单已取消", "工单 #{order_id} 已取消：{reason}"),
    "daily_record": Kind("日工作记录待确认", "{work_date} 的工作记录已生成，请确认或提出异议。"),
    "safety": Kind("安全提醒", "{message}", always_urgent=True),
}
SMS_TEXT = "【Gridwork】紧急工单 #{order_id} 已派给您，请尽快打开 App 确认。"


def is_urgent(kind: str, data: dict) -> bool:
    """Safety messages always; an assignment when the order's priority is urgent."""
    return KINDS[kind].always_urgent or (kind == "assignment" and data.get("priority") == "urgent")


def render(kind: str, data: dict) -> tuple[str, str]:
    spec = KINDS[kind]
    return spec.title, spec.body.format_map(_Blank(data))


class _Blank(dict):
    """A missing placeholder renders empty instead of failing the notification."""

    def __missing__(self, key):
        return ""
