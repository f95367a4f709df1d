"""What the wheel carries: the library a user runs against their own database, nothing else.

Starting database servers (``initdb``, ``runuser``, ``chown`` and the rest) is
what the test suite and the comparison harness do on a checkout; a wheel that
carried that code would hand every user a root-level server launcher.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER_LAUNCHING = ("initdb", "runuser", "mariadb-install-db", "pg_ctl", "mariadbd", "chown")


def test_wheel_holds_no_code_that_installs_or_starts_a_server(tmp_path: Path) -> None:
    # Without build isolation: hatchling comes with the test extra, so no download.
    built = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("adk_store-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    # The library and its migrations are there: the check below reads real files.
    assert "adk_store/cli/tools.py" in contents and "adk_store/bench/runner.py" in contents
    assert "adk_store/_migrations/env.py" in contents
    outside = sorted(name for name in contents if name.split("/")[0] in ("tests", "benchmarks"))
    assert not outside, f"the wheel carries files of the checkout: {outside}"
    found = sorted(
        f"{name}: {word}"
        for name, data in contents.items()
        for word in SERVER_LAUNCHING
        if word.encode() in data
    )
    assert not found, f"the wheel carries code that installs or starts a server: {found}"
