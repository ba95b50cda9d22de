"""What htmx tells about a request."""

from flask import request


def is_htmx() -> bool:
    """Sent by htmx (the answer is a fragment to swap in), not by a plain page load or form."""
    return request.headers.get("HX-Request") == "true"
