"""SMS backends for the tests (chosen by dotted path, as a site's own gateway would be)."""

import threading

from gridgov.notifications.sms import SmsBackend, SmsError


class FlakyBackend(SmsBackend):
    """Refuses the first ``failures`` messages, then accepts; records every call."""

    failures = 0
    calls: list[tuple[str, str]] = []

    def send(self, phone, text):
        FlakyBackend.calls.append((phone, text))
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SmsError(f"网关繁忙（拒收 {phone}）")  # a careless vendor echoes the number
        return "gw-1"


class BrokenBackend(SmsBackend):
    def send(self, phone, text):
        raise KeyError(phone)


class GateBackend(SmsBackend):
    """Holds a sending worker until the test opens the gate."""

    entered = threading.Event()
    gate = threading.Event()
    calls: list[str] = []

    def send(self, phone, text):
        GateBackend.calls.append(phone)
        GateBackend.entered.set()
        GateBackend.gate.wait(10)
        return "gw-gate"
