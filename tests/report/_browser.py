"""Open a page in real headless Debian chromium over the DevTools protocol (``--remote-debugging-
pipe``: JSON messages separated by NUL on fds 3 and 4; no extra dependency).

It records what a person would call errors — console messages, uncaught exceptions, log entries,
failed loads — and every request the page made, then takes a screenshot.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# The flags that work on these machines (env doc): no sandbox as root, no GPU, and no background
# networking, whose connections the closed network refuses.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


@dataclass
class PageVisit:
    console: list[str] = field(default_factory=list)  # every console API call: "type: text"
    exceptions: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)  # Log domain: failed loads, CSP, …
    failed_loads: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # URLs the page asked for
    screenshot_png: bytes = b""
    loaded: bool = False

    @property
    def errors(self) -> list[str]:
        return self.console + self.exceptions + self.log_errors + self.failed_loads


class _Pipe:
    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self.buffer = b""
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self, deadline: float) -> dict | None:
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.read_fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)


def _above_nine(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


def visit(
    url: str, *, width: int = 1280, height: int = 2000, timeout: float = 30.0, settle: float = 0.5
) -> PageVisit:
    """Load ``url`` in a fresh headless chromium profile; return what happened and a screenshot."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does) "
            "or install Debian's chromium package"
        )
    profile = tempfile.mkdtemp(prefix="orthotune-chromium-")
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    # Move the child's ends above 9, so that placing them on fds 3 and 4 clobbers neither.
    to_child_r, from_child_w = (_above_nine(fd) for fd in (to_child_r, from_child_w))

    def wire_fds() -> None:  # in the child: its fd 3 reads our commands, fd 4 writes replies
        os.dup2(to_child_r, 3)
        os.dup2(from_child_w, 4)

    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=wire_fds,
        pass_fds=(3, 4),
    )
    os.close(to_child_r)
    os.close(from_child_w)
    pipe = _Pipe(from_child_r, to_child_w)
    result = PageVisit()
    deadline = time.monotonic() + timeout
    try:
        replies: dict[int, dict] = {}

        def call(method: str, params: dict | None = None, session: str | None = None) -> dict:
            wanted = pipe.send(method, params, session)
            while wanted not in replies:
                message = pipe.receive(deadline)
                if message is None:
                    raise TimeoutError(f"no reply to {method} within {timeout} s")
                handle(message)
            reply = replies.pop(wanted)
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply.get("result", {})

        def handle(message: dict) -> None:
            if "id" in message:
                replies[message["id"]] = message
                return
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                result.console.append(f"{params['type']}: {text}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                result.exceptions.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                entry = params["entry"]
                result.log_errors.append(
                    f"{entry['level']}: {entry['text']} {entry.get('url', '')}"
                )
            elif method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Network.loadingFailed":
                result.failed_loads.append(params.get("errorText", "load failed"))
            elif method == "Page.loadEventFired":
                result.loaded = True

        target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            call(f"{domain}.enable", session=session)
        call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        call("Page.navigate", {"url": url}, session=session)
        while not result.loaded:
            message = pipe.receive(deadline)
            if message is None:
                raise TimeoutError(f"{url} did not finish loading within {timeout} s")
            handle(message)
        settle_until = time.monotonic() + settle  # late console messages and failed loads
        while (message := pipe.receive(min(settle_until, deadline))) is not None:
            handle(message)
        shot = call("Page.captureScreenshot", {"format": "png"}, session=session)
        result.screenshot_png = base64.b64decode(shot["data"])
        with contextlib.suppress(OSError):
            pipe.send("Browser.close")
    finally:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        os.close(from_child_r)
        os.close(to_child_w)
        shutil.rmtree(profile, ignore_errors=True)
    return result
