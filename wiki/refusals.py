"""The one base of every refused change, so views map all of them to HTTP the same way."""


class Refusal(Exception):
    """A change the wiki refuses; ``status`` is the HTTP status a view should answer with.

    ``message`` says in plain words what was wrong and is safe to show to the user.
    """

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(Refusal):
    """What the change was about does not exist (any more): no such live page, file, version."""

    status = 404
