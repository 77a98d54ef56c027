"""An SMS provider for tests: keeps what would have been sent."""

SENT: list[tuple[str, str]] = []


class RecordingSms:
    def __init__(self, config=None):
        self.config = config

    def send(self, phone: str, message: str) -> None:
        SENT.append((phone, message))
