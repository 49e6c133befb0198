"""Posting a request to a robot, with a timeout, and telling apart the failures that matter for "at most once".

A request refused before it was sent (no such host, connection refused, a certificate refused) was not
delivered and may be tried again. One cut off after it was sent (a timeout, a reset) may have been
delivered: it is `Ambiguous`, and the dispatcher does not send it again. Redirects are not followed.
"""

from __future__ import annotations

import socket
import ssl
import urllib.error
import urllib.request

from warroom.notify.base import Request

TIMEOUT_SECONDS = 5.0


class NotSent(Exception):
    """The request never reached the robot: it may be tried again."""


class Ambiguous(Exception):
    """The request may have reached the robot: it is not sent again."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - a robot that redirects is answered as it is
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(request: Request, timeout: float = TIMEOUT_SECONDS) -> tuple[int, bytes]:
    """Return the HTTP status and body of the robot's answer; raise NotSent or Ambiguous when there is none."""
    prepared = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with _OPENER.open(prepared, timeout=timeout) as answer:
            return answer.status, answer.read(64 * 1024)
    except urllib.error.HTTPError as error:
        try:
            body = error.read(64 * 1024)
        except OSError:
            body = b""
        return error.code, body
    except urllib.error.URLError as error:
        reason = error.reason
        # Only these happen before a byte of the request is sent; any other error may come after (a TLS error while reading, say).
        if isinstance(reason, (ConnectionRefusedError, socket.gaierror, ssl.SSLCertVerificationError)):
            raise NotSent(_describe(reason)) from None
        raise Ambiguous(_describe(reason)) from None
    except (TimeoutError, OSError) as error:
        raise Ambiguous(_describe(error)) from None
    except ValueError as error:  # a URL urllib cannot use (the config checked its shape): nothing went out
        raise NotSent(type(error).__name__) from None


def _describe(reason: object) -> str:
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {str(reason)[:200]}"
    return str(reason)[:200]
