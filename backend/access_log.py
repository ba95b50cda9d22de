"""gunicorn's access log: nothing about the visitor, and no line a request can forge."""

from gunicorn.glogging import Logger

# The only atoms a log line may hold: time, method, path, protocol, status, size, duration,
# process. The client's address (h), user agent (a), referrer (f), query string (q), the
# request line (r, which holds the query) and every header or environ atom stay out, whatever
# access_log_format asks for (gunicorn writes "-" for an atom it does not have).
ATOMS = ("t", "m", "U", "H", "s", "B", "b", "M", "D", "T", "L", "p")

# PATH_INFO is percent-decoded: "%0a" in a path would otherwise end the line and start a
# forged one. Control characters (C0, DEL, C1), the line and paragraph separators and the
# backslash are written as escapes instead (gunicorn itself escapes the quote).
_ESCAPES = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
_ESCAPES.update(
    {
        ord("\n"): "\\n",
        ord("\r"): "\\r",
        ord("\t"): "\\t",
        ord("\\"): "\\\\",
        0x2028: "\\u2028",
        0x2029: "\\u2029",
    }
)


def escape(value):
    """A text atom with its control characters written as escapes; others as they are."""
    return value.translate(_ESCAPES) if isinstance(value, str) else value


class AccessLog(Logger):
    """gunicorn's logger, giving the access log only the atoms above, escaped."""

    def atoms(self, resp, req, environ, request_time):
        every = super().atoms(resp, req, environ, request_time)
        return {name: escape(every[name]) for name in ATOMS}
