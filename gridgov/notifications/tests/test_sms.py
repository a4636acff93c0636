"""SMS gateways: the HTTP gateway against a local server (never an outside host), and
the settings checked at start."""

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from gridgov.notifications import sms
from gridgov.notifications.sms import HttpBackend, LogBackend, SmsError

PHONE = "13900139000"
TEXT = "您反映的问题已办结。"


class Gateway(ThreadingHTTPServer):
    """A gateway on 127.0.0.1 that answers as ``mode`` says and records requests."""

    daemon_threads = True
    block_on_close = False

    def __init__(self):
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.mode = "ok"
        self.requests = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/sms/send"


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
        )
        mode = self.server.mode
        if mode == "slow":
            time.sleep(1.5)
        if mode == "error":
            self._answer(500, {"error": f"internal error for {PHONE}"})
        elif mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()
        elif mode == "no-id":
            self._answer(202, "accepted")
        else:
            self._answer(200, {"message_id": "gw-42"})

    def _answer(self, status, data):
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def gateway(monkeypatch):
    for name in (
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _backend(gateway, **kwargs):
    options = {"token": "s3cret-token", "timeout": 1, "signature": "【钦州网格】"}
    options.update(kwargs)
    return HttpBackend(url=gateway.url, **options)


def test_the_gateway_gets_json_with_the_token_and_answers_an_id(gateway):
    assert _backend(gateway).send(PHONE, TEXT) == "gw-42"
    (request,) = gateway.requests
    assert request["path"] == "/sms/send"
    assert request["headers"]["Authorization"] == "Bearer s3cret-token"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["body"] == {"phone": PHONE, "text": TEXT, "signature": "【钦州网格】"}


def test_a_2xx_without_an_id_is_accepted(gateway):
    gateway.mode = "no-id"
    assert _backend(gateway).send(PHONE, TEXT) == ""


def test_a_server_error_is_refused_without_the_gateways_words(gateway):
    gateway.mode = "error"
    with pytest.raises(SmsError) as caught:
        _backend(gateway).send(PHONE, TEXT)
    assert str(caught.value) == "短信网关返回 HTTP 500"  # the body echoed the number: not kept


def test_a_redirect_is_not_followed(gateway):
    gateway.mode = "redirect"
    with pytest.raises(SmsError, match="HTTP 302"):
        _backend(gateway).send(PHONE, TEXT)
    assert len(gateway.requests) == 1


def test_a_gateway_that_does_not_answer_in_time(gateway):
    gateway.mode = "slow"
    started = time.monotonic()
    with pytest.raises(SmsError, match=r"0\.3 秒内未应答"):
        _backend(gateway, timeout=0.3).send(PHONE, TEXT)
    assert time.monotonic() - started < 1.4


def test_no_gateway_listening(gateway):
    url = gateway.url
    gateway.shutdown()
    gateway.server_close()
    with pytest.raises(SmsError, match="无法连接短信网关"):
        HttpBackend(url=url, token="", timeout=1, signature="").send(PHONE, TEXT)


def test_the_backend_reads_its_settings(settings, gateway):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = gateway.url
    settings.SMS_HTTP_TOKEN = "from-settings"
    settings.SMS_SIGNATURE = "【测试】"
    backend = sms.get_backend()
    assert isinstance(backend, HttpBackend)
    backend.send(PHONE, TEXT)
    assert gateway.requests[0]["headers"]["Authorization"] == "Bearer from-settings"
    assert gateway.requests[0]["body"]["signature"] == "【测试】"


def test_the_log_backend_is_the_default(settings):
    assert settings.SMS_BACKEND == "log"
    assert isinstance(sms.get_backend(), LogBackend)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SMS_BACKEND": "carrier-pigeon"}, "must be log, http or the dotted path"),
        ({"SMS_BACKEND": "gridgov.nowhere.Backend"}, "cannot import it"),
        ({"SMS_BACKEND": "gridgov.notifications.models.Notification"}, "not a subclass"),
        ({"SMS_BACKEND": "http", "SMS_HTTP_URL": ""}, "GRIDGOV_SMS_HTTP_URL"),
        ({"SMS_BACKEND": "http", "SMS_HTTP_URL": "ftp://gw.example/"}, "GRIDGOV_SMS_HTTP_URL"),
        (
            {"SMS_BACKEND": "http", "SMS_HTTP_URL": "https://gw.example/", "SMS_HTTP_TIMEOUT": 0},
            "GRIDGOV_SMS_HTTP_TIMEOUT",
        ),
        ({"SMS_MAX_ATTEMPTS": 0}, "GRIDGOV_SMS_MAX_ATTEMPTS"),
    ],
)
def test_bad_settings_are_named(settings, overrides, message):
    for name, value in overrides.items():
        setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        sms.check_settings()


def test_good_http_settings_pass(settings):
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = "https://sms.gateway.internal/send"
    sms.check_settings()


def _start(**environ) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GRIDGOV_")}
    clean.update(environ, GRIDGOV_DEBUG="true", DJANGO_SETTINGS_MODULE="gridgov.settings")
    code = "import django; django.setup(); from django.conf import settings; print(settings.SMS_HTTP_TOKEN)"
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=False
    )


def test_the_process_refuses_to_start_with_an_unknown_backend():
    result = _start(GRIDGOV_SMS_BACKEND="carrier-pigeon")
    assert result.returncode != 0
    assert "GRIDGOV_SMS_BACKEND must be log, http" in result.stderr


def test_the_token_may_come_from_a_file(tmp_path):
    token = tmp_path / "sms_token"
    token.write_text("token-from-a-file\n", encoding="utf-8")
    result = _start(
        GRIDGOV_SMS_BACKEND="http",
        GRIDGOV_SMS_HTTP_URL="https://sms.gateway.internal/send",
        GRIDGOV_SMS_HTTP_TOKEN_FILE=str(token),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "token-from-a-file"
