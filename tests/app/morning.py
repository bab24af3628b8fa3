#!/usr/bin/python3
"""The morning after, end to end: a scheduled dream runs while the app is
closed (`reverie dream --due`, what the OS schedule starts), and the next
time the app starts it says what changed in a desktop notification.

Plays the desktop's notification service: owns org.freedesktop.Notifications
on the session bus and records each Notify call. Seeds an agent with one
session and a nightly schedule whose last slot was missed, runs `reverie
dream --due` against the fake model server (a dream with trigger
"schedule"), then starts the app and waits for the notification
"While Reverie was closed: scout has 2 changes to review."; a second start
says nothing again (each dream is told once).

Runs under a display and a session bus (tests/app/window.sh does both).
Usage: morning.py PATH_TO_APP_BINARY
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tray import (  # noqa: E402  (shared with the tray test)
    API_KEY,
    CLI,
    FAKE_SERVER,
    STARTUP_TIMEOUT,
    Failure,
    cli,
    dream_script,
    pump,
    start_printing_url,
    wait_for,
)

NOTIFY_NAME = "org.freedesktop.Notifications"
NOTIFY_PATH = "/org/freedesktop/Notifications"


class Notifications(dbus.service.Object):
    """The desktop's notification service, recording what it is asked to show."""

    def __init__(self, bus):
        self.shown = []
        super().__init__(dbus.service.BusName(NOTIFY_NAME, bus, do_not_queue=True), NOTIFY_PATH)

    @dbus.service.method(NOTIFY_NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app_name, replaces_id, icon, summary, body, actions, hints, timeout):
        self.shown.append((str(summary), str(body)))
        return dbus.UInt32(len(self.shown))

    @dbus.service.method(NOTIFY_NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return dbus.Array(["body"], signature="s")

    @dbus.service.method(NOTIFY_NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ("reverie-test", "reverie", "1", "1.2")

    @dbus.service.method(NOTIFY_NAME, in_signature="u", out_signature="")
    def CloseNotification(self, notification_id):
        pass


def post(url, method, params, token):
    # The bridge answers only with the token it wrote for this start.
    request = urllib.request.Request(
        f"{url}/api/{method}", data=json.dumps(params).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"}, method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def run(app_bin, scratch, processes):
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    notifications = Notifications(bus)
    env = dict(os.environ)
    env.update({
        "REVERIE_DATA_DIR": str(scratch / "data"),
        "XDG_DATA_HOME": str(scratch / "xdg-data"),
        "XDG_CACHE_HOME": str(scratch / "xdg-cache"),
        "XDG_CONFIG_HOME": str(scratch / "xdg-config"),
        "ANTHROPIC_API_KEY": API_KEY,
    })
    env.pop("REVERIE_REQUIRE_KEYCHAIN", None)

    # An agent that dreams nightly at 03:00, with one session to review.
    cli("agent", "create", "scout", "--model", "claude-sonnet-4-5", "--system", "You help.", env=env)
    cli("agent", "update", "scout", "--dream-schedule", "03:00", env=env)
    agent_id = json.loads(cli("--json", "agent", "show", "scout", env=env))["id"]
    conversation = scratch / "conversation.json"
    conversation.write_text(json.dumps({
        "system": "You help.", "model": "claude-sonnet-4-5",
        "messages": [
            {"role": "user", "content": "Summarise the report. Keep it to two lines, please."},
            {"role": "assistant", "content": "Sales rose. Costs fell."},
        ],
    }))
    session_id = json.loads(cli("--json", "session", "import", "--agent", "scout", str(conversation), env=env))["session_ids"][0]
    script = scratch / "script.json"
    script.write_text(json.dumps(dream_script(session_id)))
    fake, fake_url = start_printing_url([str(FAKE_SERVER), "--script", str(script)], scratch / "fake.log", env)
    processes.append(fake)
    env["ANTHROPIC_BASE_URL"] = fake_url
    bridge, bridge_url = start_printing_url([str(CLI), "serve", "--port", "0"], scratch / "serve.log", env)
    processes.append(bridge)
    token = (Path(env["REVERIE_DATA_DIR"]) / "serve-token").read_text().strip()

    # The app last looked long ago, and the last night's slot was never run
    # (the machine was off, the app closed).
    long_ago = "2000-01-01T00:00:00.000Z"
    post(bridge_url, "settings.set", {"key": f"dream.schedule.last_slot.{agent_id}", "value": long_ago}, token)
    post(bridge_url, "settings.set", {"key": "app.overnight_told_until", "value": long_ago}, token)
    bridge.terminate()
    bridge.wait(timeout=10)

    # What the OS schedule runs at the slot, with the app closed.
    due = json.loads(cli("--json", "dream", "--due", env=env))
    if len(due) != 1 or due[0]["result"] != "dreamed":
        raise Failure(f"dream --due did not run the missed slot: {due}")
    print(f"ok: reverie dream --due ran the missed slot while the app was closed: dream {due[0]['dream_id']}")

    def start_app(log_name):
        app = subprocess.Popen([app_bin], stdout=open(scratch / log_name, "w"), stderr=subprocess.STDOUT, env=env)
        processes.append(app)
        return app

    app = start_app("app.log")
    expected = "While Reverie was closed: scout has 2 changes to review."
    wait_for(f"no notification saying '{expected}' (shown: {notifications.shown})",
             lambda: any(body == expected for _, body in notifications.shown), STARTUP_TIMEOUT, app)
    print(f"ok: the morning notification says: {expected}")
    app.terminate()
    app.wait(timeout=20)

    # Told once: the next start has nothing to say.
    told = len(notifications.shown)
    app = start_app("app2.log")
    pump(8)
    if app.poll() is not None:
        raise Failure(f"the app exited with {app.returncode} on its second start")
    if len(notifications.shown) != told:
        raise Failure(f"the second start notified again: {notifications.shown[told:]}")
    print("ok: the second start does not repeat it")


def main():
    if len(sys.argv) != 2:
        print("usage: morning.py PATH_TO_APP_BINARY", file=sys.stderr)
        return 2
    app_bin = str(Path(sys.argv[1]).resolve())
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="reverie-morning-"))
    processes = []
    try:
        run(app_bin, scratch, processes)
        print(f"PASS morning test ({time.monotonic() - started:.0f} s)")
        return 0
    except (Failure, dbus.exceptions.DBusException, subprocess.SubprocessError, OSError, KeyError) as error:
        print(f"FAIL morning test: {error}")
        for name in ("app.log", "app2.log", "fake.log", "serve.log"):
            log = scratch / name
            if log.exists():
                print(f"--- {name} (last lines) ---", *log.read_text(errors="replace").splitlines()[-15:], sep="\n")
        return 1
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
