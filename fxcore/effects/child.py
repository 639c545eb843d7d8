"""Running host programs in child processes: any command line (`run_tool`) and fxcore's own plugin child.

Failures become one-line errors built by the caller's `fail` (a backend's `_fail`), so they name the
effect and the config file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

# The root that holds the fxcore package this module belongs to: the child imports the same fxcore.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def run_tool(cmd: list[str], what: str, fail, timeout: float | None = None, env: dict | None = None,
             cwd: str | None = None, fix: str = "check the effect chain against the tool's message"):
    """Run an argument list (never a shell string); any failure → `fail(message, fix)` (raised).

    `fail` builds the exception (a backend's `_fail`), so errors name the effect and config.yaml.
    The message is one line: the tool's last `FXCORE_ERROR:` line, else its last stderr line.
    """
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=cwd, stdin=subprocess.DEVNULL, errors="replace")
    except FileNotFoundError:
        raise fail(f"{what}: program {cmd[0]!r} not found", "install it (see .ci/install_hosts.sh)") from None
    except subprocess.TimeoutExpired:
        raise fail(f"{what} did not finish within {timeout:g} s",
                   "raise options.timeout_s, or check that the plugin does not hang") from None
    if proc.returncode < 0:
        try:
            sig = signal.Signals(-proc.returncode).name
        except ValueError:
            sig = f"signal {-proc.returncode}"
        raise fail(f"{what} crashed ({sig}){_tail(proc.stderr, ': ')}",
                   "the plugin is broken or was given values it cannot handle; try other values or another plugin")
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        ours = [ln[len("FXCORE_ERROR: "):] for ln in lines if ln.startswith("FXCORE_ERROR: ")]
        msg = ours[-1] if ours else (lines[-1] if lines else f"exit status {proc.returncode}")
        raise fail(f"{what} failed: {msg}", fix)
    return proc


def _tail(text: str, prefix: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return f"{prefix}{lines[-1][:200]}" if lines else ""


def run_child(args: list[str], what: str, fail, timeout: float | None = None, env: dict | None = None,
              fix: str = "check the plugin name and values in the chain") -> dict:
    """Run `python -m fxcore.plugin_child ARGS` (this checkout's fxcore, not the cwd's); return its JSON answer."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    # -P: no cwd on sys.path, so a checkout in the working directory cannot shadow this fxcore
    proc = run_tool([sys.executable, "-P", "-m", "fxcore.plugin_child", *args], what, fail, timeout, env, fix=fix)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise fail(f"{what}: no answer from the host process{_tail(proc.stderr, ': ')}",
                   "report this host bug") from None

