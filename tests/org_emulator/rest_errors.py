"""REST errors shaped like Salesforce's: a JSON list of {message, errorCode[, fields]}."""

from __future__ import annotations


class RestError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict]:
        error: dict = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            error["fields"] = self.fields
        return [error]


def invalid_session() -> RestError:
    return RestError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def request_limit() -> RestError:
    return RestError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
