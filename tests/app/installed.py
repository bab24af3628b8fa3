#!/usr/bin/python3
"""The installed app, started as a user would start it, on a fresh account.

Plays the desktop's part as tests/app/tray.py does (a StatusNotifierWatcher on
the session bus, so the tray icon registers), with HOME pointing at an empty
folder and no test variables, then checks:
  1. the app starts from its desktop entry's command, its tray icon
     registers, its window shows and paints (a screenshot that is not blank),
     and it made its data folder private (0700) with a private database (0600);
  2. (with --single-instance) closing the window hides it; launching the app a
     second time exits at once and brings the first window back, focused;
  2b. (with --cli PATH) an agent given a nightly schedule with the installed
     `reverie` program gets a systemd user timer from the app, running that
     program's `dream --due` at the agent's time;
  3. the tray's Quit ends it with status 0.
Screenshots go to tests/artifacts/app/LABEL-*.png.

Runs under a display, a session bus and an unlocked keyring (tests/app/install.sh).
Usage: installed.py LABEL [--single-instance] [--cli PATH] -- COMMAND [ARGS...]
"""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dbus
from dbus.mainloop.glib import DBusGMainLoop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tray import (  # noqa: E402  (the same panel, shared with the tray test)
    WATCHER_NAME,
    Failure,
    TrayMenu,
    Watcher,
    any_window,
    close_window,
    visible_window,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests/artifacts/app"
STARTUP_TIMEOUT = 120


def screenshot(window, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    colours, deviation = 0, 0.0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        subprocess.run(["import", "-window", str(window), str(path)], check=True, capture_output=True)
        out = subprocess.run(
            ["convert", str(path), "-format", "%k %[fx:standard_deviation]", "info:"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        colours, deviation = int(out[0]), float(out[1])
        if colours >= 64 and deviation >= 0.02:
            # Let painting settle, then keep the last frame.
            time.sleep(2)
            subprocess.run(["import", "-window", str(window), str(path)], check=True, capture_output=True)
            return path, colours, deviation
        time.sleep(0.5)
    raise Failure(f"the window looks blank ({colours} colours, std-dev {deviation}): {path}")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def run(label, command, single_instance, cli, home):
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    if bus.name_has_owner(WATCHER_NAME):
        raise Failure(f"{WATCHER_NAME} is already owned on this bus; run under dbus-run-session")
    watcher = Watcher(bus)

    # A fresh account: only what a desktop session sets, nothing of the tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVERIE_", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CARGO", "RUST"))}
    env["HOME"] = str(home)
    if cli:
        for args in (["agent", "create", "Night owl", "--model", "claude-haiku-4-5"],
                     ["agent", "update", "Night owl", "--dream-schedule", "04:30"]):
            done = subprocess.run([cli, *args], env=env, cwd=home, capture_output=True, text=True, timeout=60)
            if done.returncode != 0:
                raise Failure(f"reverie {' '.join(args)} failed: {done.stderr.strip()}")
    log = home / "app.log"
    first = subprocess.Popen(command, stdout=open(log, "w"), stderr=subprocess.STDOUT, env=env, cwd=home)
    processes = [first]
    try:
        item = wait_for("the tray icon did not register with the panel",
                        lambda: watcher.items and watcher.items[0], STARTUP_TIMEOUT, first)
        print(f"ok: tray icon registered ({item})")
        menu = TrayMenu(bus, item)
        window = wait_for("no visible window titled Reverie", visible_window, STARTUP_TIMEOUT, first)
        shot, colours, deviation = screenshot(window, f"{label}-window")
        print(f"ok: window {window} paints ({colours} colours, std-dev {deviation:.3f}): {shot}")

        data = home / ".local/share/reverie"
        wait_for("the app did not create its data folder", lambda: (data / "reverie.db").exists(), 30, first)
        if mode(data) != 0o700 or mode(data / "reverie.db") != 0o600:
            raise Failure(f"data folder {oct(mode(data))} / database {oct(mode(data / 'reverie.db'))}, expected 0700 / 0600")
        print("ok: data folder 0700, database 0600")

        if cli:
            units = home / ".config/systemd/user"
            timer = wait_for("the app did not install a systemd user timer for the agent's schedule",
                             lambda: next(iter(sorted(units.glob("reverie-dreams-*.timer"))), None), 30, first)
            service = timer.with_suffix(".service")
            timer_text, service_text = timer.read_text(), service.read_text()
            if "OnCalendar=*-*-* 04:30:00" not in timer_text or "Persistent=true" not in timer_text:
                raise Failure(f"the timer does not fire at 04:30 with catch-up:\n{timer_text}")
            if f'ExecStart="{cli}" "--data-dir" "{home}/.local/share/reverie" "dream" "--due"' not in service_text:
                raise Failure(f"the service does not run the installed program's dream --due:\n{service_text}")
            if not (units / "timers.target.wants" / timer.name).is_symlink():
                raise Failure("the timer is not enabled")
            print(f"ok: the app installed {timer.name}, running {cli} dream --due at 04:30 (catch-up after sleep)")

        if single_instance:
            close_window(window)
            wait_for("the window is still visible after a close request", lambda: not visible_window(), app=first)
            if not any_window():
                raise Failure("closing the window destroyed it instead of hiding it")
            started = time.monotonic()
            second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=home)
            processes.append(second)
            try:
                out, _ = second.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                raise Failure("a second launch did not hand over to the first and exit within 60 s") from None
            if second.returncode != 0:
                raise Failure(f"the second launch exited with {second.returncode}: {out.decode(errors='replace')[-500:]}")
            back = wait_for("the second launch did not bring the first window back", visible_window, app=first)
            if first.poll() is not None:
                raise Failure("the first app ended when the second launched")
            windows = any_window()
            if len(windows) != 1:
                raise Failure(f"expected one Reverie window, found {len(windows)}")
            focused = wait_for("the first window did not get the focus",
                               lambda: subprocess.run(["xdotool", "getwindowfocus"], capture_output=True, text=True).stdout.strip() == back,
                               10, first)
            shot, _, _ = screenshot(back, f"{label}-second-launch")
            print(f"ok: a second launch exited in {time.monotonic() - started:.1f} s and the first window is back and focused ({focused}): {shot}")

        menu.click("Quit Reverie", app=None)
        try:
            code = first.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise Failure("Quit Reverie did not end the app within 30 s") from None
        if code != 0:
            raise Failure(f"the app exited with status {code} after Quit")
        print("ok: Quit Reverie ends the app with status 0")
    except Failure:
        tail = log.read_text(errors="replace").splitlines()[-15:] if log.exists() else []
        print("--- app.log (last lines) ---", *tail, sep="\n")
        raise
    finally:
        for p in processes:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def main():
    args = sys.argv[1:]
    if "--" not in args or len(args) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    split = args.index("--")
    label, flags, command = args[0], args[1:split], args[split + 1:]
    cli = flags[flags.index("--cli") + 1] if "--cli" in flags else None
    home = Path(tempfile.mkdtemp(prefix=f"reverie-{label}-home-"))
    started = time.monotonic()
    try:
        run(label, command, "--single-instance" in flags, cli, home)
        print(f"PASS {label}: the installed app starts, paints, sits in the tray and quits ({time.monotonic() - started:.0f} s)")
        return 0
    except (Failure, dbus.exceptions.DBusException, subprocess.SubprocessError, OSError) as error:
        print(f"FAIL {label}: {error}")
        return 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
