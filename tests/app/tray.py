#!/usr/bin/python3
"""The real tray menu, end to end, on Linux.

Plays the desktop's part: owns org.kde.StatusNotifierWatcher on the session
bus (as a panel does) before the app starts, so the app's appindicator
registers its StatusNotifierItem here instead of falling back to XEmbed.
Then reads the item's com.canonical.dbusmenu menu and clicks its items the
way a panel does (dbusmenu Event "clicked"), checking each real effect:
  a. Show window brings back the window the user closed,
  b. Pause / Resume dream schedule flip the engine's setting and the label,
  c. Dream now for -> agent runs a dream against the fake model server; it is
     listed by the CLI and the menu's last-result line shows it,
  d. Quit Reverie ends the app with status 0.

Runs under a display and a session bus (tests/app/window.sh does both):
  xvfb-run -a dbus-run-session -- /usr/bin/python3 tests/app/tray.py target/debug/reverie-app
Needs target/debug/reverie and target/debug/fake-model-server (cargo build
-p reverie-cli -p reverie-fake-model), xdotool, and Debian's python3-dbus and
python3-gi. Prints one line per check, then PASS or FAIL (exit 1).
"""

import ctypes
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
from gi.repository import GLib

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(os.environ.get("REVERIE_BIN", ROOT / "target/debug/reverie"))
FAKE_SERVER = Path(os.environ.get("FAKE_MODEL_SERVER_BIN", ROOT / "target/debug/fake-model-server"))

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
PROPS_IFACE = "org.freedesktop.DBus.Properties"

AGENT = "scout"
API_KEY = "sk-ant-tray-test"
# Generous: the CI machine is a loaded 2-core VM, and a debug WebKit app
# takes many seconds to start there.
STARTUP_TIMEOUT = 90
STEP_TIMEOUT = 30


class Failure(Exception):
    pass


def pump(seconds):
    """Runs the GLib main loop for a while, so the watcher answers calls."""
    elapsed = []
    GLib.timeout_add(int(seconds * 1000), lambda: elapsed.append(True) and False)
    context = GLib.MainContext.default()
    while not elapsed:
        context.iteration(True)


def wait_for(what, check, timeout=STEP_TIMEOUT, app=None):
    """Polls `check` (serving D-Bus in between) until it returns something
    truthy; fails with `what` after `timeout` seconds or if the app exits."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if app is not None and app.poll() is not None:
            raise Failure(f"the app exited with status {app.returncode} while waiting: {what}")
        if time.monotonic() > deadline:
            raise Failure(f"{what} (waited {timeout} s)")
        pump(0.1)


class Watcher(dbus.service.Object):
    """The StatusNotifierWatcher a desktop panel provides, with a host
    registered, so appindicator exports its item over D-Bus."""

    def __init__(self, bus):
        self.items = []
        bus_name = dbus.service.BusName(WATCHER_NAME, bus, do_not_queue=True)
        super().__init__(bus_name, WATCHER_PATH)

    @dbus.service.method(WATCHER_NAME, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # appindicator passes its object path; other items pass a bus name.
        item = f"{sender}{service}" if service.startswith("/") else service
        if item not in self.items:
            self.items.append(item)
            self.StatusNotifierItemRegistered(item)
            self.PropertiesChanged(WATCHER_NAME, {"RegisteredStatusNotifierItems": self._items()}, [])

    @dbus.service.method(WATCHER_NAME, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        self.StatusNotifierHostRegistered()

    @dbus.service.signal(WATCHER_NAME, signature="s")
    def StatusNotifierItemRegistered(self, service):
        pass

    @dbus.service.signal(WATCHER_NAME, signature="s")
    def StatusNotifierItemUnregistered(self, service):
        pass

    @dbus.service.signal(WATCHER_NAME, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    @dbus.service.signal(WATCHER_NAME, signature="")
    def StatusNotifierHostUnregistered(self):
        pass

    def _items(self):
        return dbus.Array(self.items, signature="s")

    def _properties(self):
        return {
            "RegisteredStatusNotifierItems": self._items(),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }

    @dbus.service.method(PROPS_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        properties = self._properties()
        if interface != WATCHER_NAME or name not in properties:
            raise dbus.exceptions.DBusException(
                f"no property {interface}.{name}", name="org.freedesktop.DBus.Error.UnknownProperty"
            )
        return properties[name]

    @dbus.service.method(PROPS_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return self._properties() if interface == WATCHER_NAME else {}

    @dbus.service.signal(PROPS_IFACE, signature="sa{sv}as")
    def PropertiesChanged(self, interface, changed, invalidated):
        pass


class TrayMenu:
    """The app's dbusmenu, read and clicked as a panel does."""

    def __init__(self, bus, item):
        name, _, path = item.partition("/")
        item_object = bus.get_object(name, "/" + path)
        menu_path = item_object.Get(ITEM_IFACE, "Menu", dbus_interface=PROPS_IFACE)
        self.menu = dbus.Interface(bus.get_object(name, menu_path), MENU_IFACE)

    def layout(self):
        """The whole menu as nested dicts: id, label, enabled, children."""
        _revision, root = self.menu.GetLayout(0, -1, dbus.Array([], signature="s"))
        return self._node(root)

    def _node(self, node):
        item_id, props, children = node
        return {
            "id": int(item_id),
            "label": str(props.get("label", "")),
            "enabled": bool(props.get("enabled", True)),
            "children": [self._node(child) for child in children],
        }

    def find(self, label, within=None):
        """The item with this label (at any depth), or None."""
        stack = [within or self.layout()]
        while stack:
            node = stack.pop()
            if node["label"] == label:
                return node
            stack.extend(node["children"])
        return None

    def labels(self):
        found, stack = [], [self.layout()]
        while stack:
            node = stack.pop()
            if node["label"]:
                found.append(node["label"])
            stack.extend(reversed(node["children"]))
        return found

    def open(self, node):
        """What a panel does before showing a submenu."""
        self.menu.AboutToShow(node["id"])

    def click(self, label, within=None, app=None):
        """Clicks the item with this label. The app rebuilds the menu when
        its state changes (new item ids), so a click that lands on an id
        just replaced is retried on the fresh layout."""
        failures = []

        def attempt():
            parent = self.find(within) if within else None
            node = self.find(label, within=parent) if (parent or not within) else None
            if not node:
                return False
            try:
                self.menu.Event(
                    node["id"], "clicked", dbus.Int32(0, variant_level=1),
                    dbus.UInt32(int(time.time())), signature="isvu",
                )
                return True
            except dbus.exceptions.DBusException as error:
                failures.append(error.get_dbus_message())
                return False

        try:
            wait_for(f"could not click '{label}' in the tray menu", attempt, app=app)
        except Failure as failure:
            raise Failure(f"{failure}{': ' + failures[-1] if failures else ''}") from None


def visible_window():
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "^Reverie$"], capture_output=True, text=True
    )
    return found.stdout.split()[0] if found.stdout.split() else None


def any_window():
    found = subprocess.run(["xdotool", "search", "--name", "^Reverie$"], capture_output=True, text=True)
    return found.stdout.split()


def close_window(window_id):
    """Sends WM_DELETE_WINDOW, as a window manager's close button does (there
    is no window manager under Xvfb, and xdotool's windowclose destroys the
    window instead of asking)."""

    class ClientMessage(ctypes.Structure):
        _fields_ = [
            ("type", ctypes.c_int),
            ("serial", ctypes.c_ulong),
            ("send_event", ctypes.c_int),
            ("display", ctypes.c_void_p),
            ("window", ctypes.c_ulong),
            ("message_type", ctypes.c_ulong),
            ("format", ctypes.c_int),
            ("data", ctypes.c_long * 5),
        ]

    class XEvent(ctypes.Union):
        _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]

    xlib = ctypes.CDLL("libX11.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = xlib.XOpenDisplay(None)
    if not display:
        raise Failure("cannot open the X display to close the window")
    try:
        event = XEvent()
        event.xclient.type = 33  # ClientMessage
        event.xclient.send_event = 1
        event.xclient.display = display
        event.xclient.window = int(window_id)
        event.xclient.message_type = xlib.XInternAtom(display, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = xlib.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        if not xlib.XSendEvent(display, int(window_id), 0, 0, ctypes.byref(event)):
            raise Failure("XSendEvent refused the close request")
        xlib.XFlush(display)
    finally:
        xlib.XCloseDisplay(display)


def cli(*args, env):
    done = subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise Failure(f"reverie {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def start_printing_url(command, log_path, env, timeout=STEP_TIMEOUT):
    """Starts a server that prints its http://127.0.0.1:PORT URL; returns
    (process, url)."""
    log = open(log_path, "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

    def url():
        for word in Path(log_path).read_text().split():
            if word.startswith("http://127.0.0.1:"):
                return word.rstrip("/.,")
        if process.poll() is not None:
            raise Failure(f"{command[0]} exited: {Path(log_path).read_text().strip()}")
        return None

    return process, wait_for(f"{Path(command[0]).name} printed no URL", url, timeout)


def dream_script(session_id):
    """The fake model's answer to a dream: a proposal citing the session
    (the index must list every new document, or the engine asks again)."""
    def edit(path, content, reason):
        return {
            "op": "create", "path": path, "content": content, "reason": reason,
            "source_session_ids": [session_id],
        }

    proposal = {
        "type": "tool_use", "id": "toolu_tray", "name": "propose_memory_edits",
        "input": {"edits": [
            edit("/memories/style.md", "# Style\n\n- Keep summaries to two lines.\n",
                 "The user asked for a two-line summary."),
            edit("/memories/_index.md", "# Index\n\n- /memories/style.md: how to write for the user\n",
                 "List the new document."),
        ]},
    }
    return {
        # Requests without this key are refused: proves the app's key reached the model.
        "api_key": API_KEY,
        "rules": [{
            "when": {"system_contains": "propose_memory_edits"},
            "reply": {"content": [proposal], "usage": {"input_tokens": 900, "output_tokens": 80}},
        }],
        "fallback": {"text": "Done."},
    }


def run(app_bin, scratch, processes):
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    if bus.name_has_owner(WATCHER_NAME):
        raise Failure(f"{WATCHER_NAME} is already owned on this bus; run under dbus-run-session")
    watcher = Watcher(bus)
    print(f"watcher: own {WATCHER_NAME} on the session bus")

    env = dict(os.environ)
    env.update({
        "REVERIE_DATA_DIR": str(scratch / "data"),
        # A fresh WebKit profile: the test never sees a user's data.
        "XDG_DATA_HOME": str(scratch / "xdg-data"),
        "XDG_CACHE_HOME": str(scratch / "xdg-cache"),
        "XDG_CONFIG_HOME": str(scratch / "xdg-config"),
        # Overrides Settings and the keychain (no Secret Service runs here).
        "ANTHROPIC_API_KEY": API_KEY,
    })
    env.pop("REVERIE_REQUIRE_KEYCHAIN", None)

    # An agent with one past session, so a dream has something to review.
    cli("agent", "create", AGENT, "--model", "claude-sonnet-4-5", "--system", "You help.", env=env)
    conversation = scratch / "conversation.json"
    conversation.write_text(json.dumps({
        "system": "You help.",
        "model": "claude-sonnet-4-5",
        "messages": [
            {"role": "user", "content": "Summarise the report. Keep it to two lines, please."},
            {"role": "assistant", "content": "Sales rose. Costs fell."},
        ],
    }))
    imported = json.loads(cli("--json", "session", "import", "--agent", AGENT, str(conversation), env=env))
    session_id = imported["session_ids"][0]
    script = scratch / "script.json"
    script.write_text(json.dumps(dream_script(session_id)))
    fake, fake_url = start_printing_url(
        [str(FAKE_SERVER), "--script", str(script)], scratch / "fake.log", env
    )
    processes.append(fake)
    env["ANTHROPIC_BASE_URL"] = fake_url
    print(f"seeded: agent {AGENT} with session {session_id}; fake model server at {fake_url}")

    # The engine's own view of the schedule, through its API (`reverie serve`).
    bridge, bridge_url = start_printing_url(
        [str(CLI), "serve", "--port", "0"], scratch / "serve.log", env
    )
    processes.append(bridge)
    # The bridge answers only with the token it wrote for this start.
    token = (Path(env["REVERIE_DATA_DIR"]) / "serve-token").read_text().strip()

    def schedule_paused():
        request = urllib.request.Request(
            f"{bridge_url}/api/dreams.schedule_status", data=b"{}",
            headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as response:
            return json.load(response)["paused"]

    app_log = scratch / "app.log"
    app = subprocess.Popen(
        [app_bin], stdout=open(app_log, "w"), stderr=subprocess.STDOUT, env=env
    )
    processes.append(app)

    item = wait_for("the app's tray icon did not register with the watcher",
                    lambda: watcher.items and watcher.items[0], STARTUP_TIMEOUT, app)
    print(f"registered: {item}")
    menu = TrayMenu(bus, item)
    print(f"menu: {' | '.join(menu.labels())}")
    for label in ["Show window", "Dream now (all agents)", "Dream now for",
                  "Pause dream schedule", "No dreams yet", "Quit Reverie"]:
        if not menu.find(label):
            raise Failure(f"the tray menu has no '{label}' item")

    # a. Show window: close the window (it hides to the tray), then click.
    window = wait_for("no visible window titled Reverie", visible_window, STARTUP_TIMEOUT, app)
    close_window(window)
    wait_for("the window is still visible after a close request", lambda: not visible_window(), app=app)
    if not any_window():
        raise Failure("closing the window destroyed it instead of hiding it")
    menu.click("Show window", app=app)
    wait_for("Show window did not bring the window back", visible_window, app=app)
    print("ok: Show window shows the closed window again")

    # b. Pause, then Resume, the dream schedule.
    if schedule_paused():
        raise Failure("the dream schedule is paused before the test paused it")
    menu.click("Pause dream schedule", app=app)
    wait_for("the menu never offered 'Resume dream schedule' after Pause",
             lambda: menu.find("Resume dream schedule"), app=app)
    wait_for("the engine's schedule is not paused after Pause", schedule_paused, app=app)
    print("ok: Pause dream schedule pauses it (engine: paused; menu: Resume dream schedule)")
    menu.click("Resume dream schedule", app=app)
    wait_for("the menu never offered 'Pause dream schedule' after Resume",
             lambda: menu.find("Pause dream schedule"), app=app)
    wait_for("the engine's schedule is still paused after Resume", lambda: not schedule_paused(), app=app)
    print("ok: Resume dream schedule resumes it (engine: not paused; menu: Pause dream schedule)")

    # c. Dream now for the agent.
    menu.open(menu.find("Dream now for"))
    submenu = menu.find("Dream now for")
    target = menu.find(AGENT, within=submenu)
    if not submenu["enabled"] or not target or not target["enabled"]:
        raise Failure(f"'Dream now for' has no enabled '{AGENT}' item: {submenu}")
    menu.click(AGENT, within="Dream now for", app=app)

    def tray_dream():
        dreams = json.loads(cli("--json", "dream", "list", env=env))
        done = [d for d in dreams if d["trigger"] == "tray" and d["status"] not in ("pending", "running")]
        return done and done[0]

    dream = wait_for("no dream from the tray finished", tray_dream, app=app)
    if dream["status"] != "completed":
        raise Failure(f"the tray's dream {dream['id']} ended {dream['status']}: {dream['error']}")
    print(f"ok: Dream now for > {AGENT} ran dream {dream['id']} ({dream['status']}, {dream['review']})")
    last = f"Last dream: {AGENT}, 2 changes to review"
    wait_for(f"the menu never showed '{last}'", lambda: menu.find(last), app=app)
    if menu.find("No dreams yet"):
        raise Failure("the menu still shows 'No dreams yet' after the dream")
    print(f"ok: the last-result line reads '{last}'")

    # d. Quit.
    menu.click("Quit Reverie", app=app)
    wait_for("the app did not exit after Quit Reverie", lambda: app.poll() is not None, timeout=STEP_TIMEOUT)
    if app.returncode != 0:
        raise Failure(f"the app exited with status {app.returncode} after Quit Reverie")
    print("ok: Quit Reverie ends the app with status 0")


def main():
    if len(sys.argv) != 2:
        print("usage: tray.py PATH_TO_APP_BINARY", file=sys.stderr)
        return 2
    app_bin = str(Path(sys.argv[1]).resolve())
    for needed in (app_bin, CLI, FAKE_SERVER):
        if not os.access(needed, os.X_OK):
            print(f"FAIL tray test: no executable {needed} (cargo build -p reverie-app "
                  "-p reverie-cli -p reverie-fake-model)")
            return 1
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="reverie-tray-"))
    processes = []
    try:
        run(app_bin, scratch, processes)
        print(f"PASS tray test ({time.monotonic() - started:.0f} s)")
        return 0
    except (Failure, dbus.exceptions.DBusException, subprocess.TimeoutExpired, OSError) as error:
        print(f"FAIL tray test: {error}")
        for name in ("app.log", "fake.log", "serve.log"):
            log = scratch / name
            if log.exists():
                tail = log.read_text(errors="replace").splitlines()[-15:]
                print(f"--- {name} (last lines) ---", *tail, sep="\n")
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
