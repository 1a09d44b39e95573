class DomainError(Exception):
    """A business rule refused the request; `field` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does."""

    def __init__(self, message: str = "Not found") -> None:
        super().__init__(message)
