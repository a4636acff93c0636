"""SMS gateways: the one place a text message leaves the system.

A backend is a class with ``send(phone, text) -> gateway message id`` that raises
:class:`SmsError` when the gateway does not take the message (the worker then retries
later). ``GRIDGOV_SMS_BACKEND`` chooses it: ``log`` (the default; nothing leaves the
machine), ``http`` (a JSON gateway, :class:`HttpBackend`) or the dotted path of a class
of your own for a vendor's gateway. The settings are checked when the process starts.

Phones and texts are personal data: no backend writes them to a log in plain form.
"""

import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
from collections import deque
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from gridgov.core.masking import mask_phone

log = logging.getLogger(__name__)

BACKENDS = {
    "log": "gridgov.notifications.sms.LogBackend",
    "http": "gridgov.notifications.sms.HttpBackend",
}
# A gateway's error text is kept for the operator; longer answers are cut.
MAX_ERROR = 200


class SmsError(Exception):
    """The gateway did not accept the message (unreachable, timed out, refused)."""


class SmsBackend:
    """The interface of an SMS gateway."""

    def send(self, phone: str, text: str) -> str:
        """Hand one message to the gateway; return the gateway's message id ("" if none).

        Raise :class:`SmsError` when the message was not accepted.
        """
        raise NotImplementedError

    @classmethod
    def check_settings(cls) -> None:
        """Raise ImproperlyConfigured when the backend's settings cannot work."""


class SentSms(NamedTuple):
    phone: str
    text: str
    message_id: str


class LogBackend(SmsBackend):
    """Sends nothing: logs a masked phone number and the length of the text.

    The messages "sent" are kept in memory in :attr:`outbox` (the last 1,000) so that
    tests can see them; clear it with ``LogBackend.outbox.clear()``.
    """

    outbox: deque[SentSms] = deque(maxlen=1000)
    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        message_id = f"log-{uuid.uuid4().hex[:16]}"
        with self._lock:
            LogBackend.outbox.append(SentSms(phone, text, message_id))
        log.info("SMS to %s, %d characters (log backend: not sent)", mask_phone(phone), len(text))
        return message_id


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway that answers with a redirect has not taken the message."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpBackend(SmsBackend):
    """A JSON gateway: ``POST {"phone", "text", "signature"}`` with a bearer token.

    Any 2xx answer means the gateway accepted the message; its JSON body may carry the
    gateway's message id as ``id``, ``message_id`` or ``msgid``. Anything else — another
    status, a redirect, no connection, no answer within ``SMS_HTTP_TIMEOUT`` seconds —
    raises :class:`SmsError`. Proxies come from the usual environment variables.
    """

    def __init__(self, url=None, token=None, timeout=None, signature=None):
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = float(timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT)
        self.signature = signature if signature is not None else settings.SMS_SIGNATURE

    @classmethod
    def check_settings(cls) -> None:
        url = settings.SMS_HTTP_URL
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ImproperlyConfigured(
                "GRIDGOV_SMS_BACKEND=http needs GRIDGOV_SMS_HTTP_URL, the gateway's "
                f"http:// or https:// address (now {url!r})"
            )
        if settings.SMS_HTTP_TIMEOUT <= 0:
            raise ImproperlyConfigured(
                f"GRIDGOV_SMS_HTTP_TIMEOUT must be a positive number of seconds, "
                f"not {settings.SMS_HTTP_TIMEOUT!r}"
            )

    def send(self, phone: str, text: str) -> str:
        body = json.dumps(
            {"phone": phone, "text": text, "signature": self.signature}, ensure_ascii=False
        ).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        opener = urllib.request.build_opener(_NoRedirects())
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status = response.status
                answer = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            # The body is not kept: a gateway may echo the number or the text.
            raise SmsError(f"短信网关返回 HTTP {exc.code}") from None
        except TimeoutError:
            raise SmsError(f"短信网关 {self.timeout:g} 秒内未应答") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise SmsError(f"短信网关 {self.timeout:g} 秒内未应答") from None
            raise SmsError(f"无法连接短信网关：{str(exc.reason)[:MAX_ERROR]}") from None
        except OSError as exc:
            raise SmsError(f"短信网关连接中断：{type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise SmsError(f"短信网关返回 HTTP {status}")
        return _message_id(answer)


def _message_id(answer: bytes) -> str:
    try:
        data = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("id", "message_id", "msgid"):
        if data.get(key) not in (None, ""):
            return str(data[key])[:100]
    return ""


def backend_class() -> type[SmsBackend]:
    """The class named by ``SMS_BACKEND`` (ImproperlyConfigured with the reason if none)."""
    name = settings.SMS_BACKEND
    path = BACKENDS.get(name, name)
    if not path or "." not in path:
        raise ImproperlyConfigured(
            "GRIDGOV_SMS_BACKEND must be log, http or the dotted path of an SmsBackend "
            f"class, not {name!r}"
        )
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"GRIDGOV_SMS_BACKEND={name!r}: cannot import it ({exc}); use log, http or the "
            "dotted path of an SmsBackend class"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, SmsBackend)):
        raise ImproperlyConfigured(
            f"GRIDGOV_SMS_BACKEND={name!r} is not a subclass of "
            "gridgov.notifications.sms.SmsBackend"
        )
    return cls


def check_settings() -> None:
    """Check every SMS setting; raise ImproperlyConfigured naming the bad variable."""
    if settings.SMS_MAX_ATTEMPTS < 1:
        raise ImproperlyConfigured(
            f"GRIDGOV_SMS_MAX_ATTEMPTS must be at least 1, not {settings.SMS_MAX_ATTEMPTS}"
        )
    backend_class().check_settings()


def get_backend() -> SmsBackend:
    return backend_class()()
