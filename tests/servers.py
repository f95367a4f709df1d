"""Throwaway database servers for the test suite and the comparison benchmark.

Kept out of the installed package: starting servers (as root, through
``runuser``) is what the suite and ``python -m benchmarks`` do on a checkout,
never what a user of the store does against their own database.

Each server listens on a free loopback port, lives in a temporary directory,
runs as the unprivileged service user when started by root, and is removed
when stopped. ``durable=False`` turns off fsync for test speed; the benchmark
keeps the servers' default durability.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = [
    Path("/usr/lib/postgresql/15/bin"),
    *sorted(Path("/usr/lib/postgresql").glob("*/bin")),
]


def _pg_bin_dir() -> Path:
    bin_dir = next((d for d in PG_BIN_DIRS if (d / "pg_ctl").exists()), None)
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found; install them with "
            "'apt-get install -y postgresql' (the test command does this)."
        )
    return bin_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_service_user(user: str, command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", user, "--", *command]


def _chown(path: Path, user: str) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass
class PostgresServer:
    """A PostgreSQL cluster with trust authentication on 127.0.0.1."""

    root: Path
    port: int
    bin_dir: Path

    @classmethod
    def start(cls, *, durable: bool = True) -> PostgresServer:
        bin_dir = _pg_bin_dir()
        root = Path(tempfile.mkdtemp(prefix="adk-store-pg-"))
        _chown(root, "postgres")
        subprocess.run(
            _as_service_user(
                "postgres",
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(root / "data"),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
            ),
            check=True,
            capture_output=True,
        )
        return cls._launch(root, bin_dir, durable=durable)

    @classmethod
    def start_standby(cls, primary: PostgresServer, *, durable: bool = True) -> PostgresServer:
        """A hot standby streaming from ``primary``, copied with ``pg_basebackup -R``.

        initdb's trust rules admit replication connections from 127.0.0.1,
        and ``-R`` writes the connection to the primary into the copy, so
        the standby starts streaming as soon as it is up.
        """
        root = Path(tempfile.mkdtemp(prefix="adk-store-pg-standby-"))
        _chown(root, "postgres")
        subprocess.run(
            _as_service_user(
                "postgres",
                [
                    str(primary.bin_dir / "pg_basebackup"),
                    "-D",
                    str(root / "data"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(primary.port),
                    "-U",
                    "postgres",
                    "-R",
                    "-X",
                    "stream",
                ],
            ),
            check=True,
            capture_output=True,
        )
        return cls._launch(root, primary.bin_dir, durable=durable)

    @classmethod
    def _launch(cls, root: Path, bin_dir: Path, *, durable: bool) -> PostgresServer:
        """Start the cluster in ``root/data`` on a free port."""
        for _ in range(5):
            port = free_port()
            started = subprocess.run(
                _as_service_user(
                    "postgres",
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(root / "data"),
                        "-l",
                        str(root / "log"),
                        "-w",
                        "-o",
                        (
                            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 "
                            f"-c max_connections=200{'' if durable else ' -c fsync=off'}"
                        ),
                        "start",
                    ],
                ),
                capture_output=True,
                check=False,
            )
            if started.returncode == 0:
                return cls(root, port, bin_dir)
        raise RuntimeError(f"PostgreSQL did not start: {(root / 'log').read_text()[-2000:]}")

    @property
    def pid(self) -> int:
        """The postmaster's process id: the root of the server's process tree."""
        return int((self.root / "data" / "postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres", driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def _pg_ctl(self, *args: str) -> None:
        # Output to a file: a server started by pg_ctl keeps inherited pipes open.
        subprocess.run(
            _as_service_user(
                "postgres",
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-l",
                    str(self.root / "log"),
                    "-w",
                    *args,
                ],
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )

    def restart(self) -> None:
        """Restart the server (fast shutdown: clients are disconnected)."""
        self._pg_ctl("-m", "fast", "restart")

    def crash_restart(self) -> None:
        """Restart with an immediate shutdown: backends die, recovery replays the WAL.

        Like a crash of the server processes; with ``durable`` servers every
        commit acknowledged before it is there afterwards.
        """
        self._pg_ctl("-m", "immediate", "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash of the machine would stop it.

        Its backends notice the postmaster is gone and exit without
        acknowledging anything further; nothing listens on the port any more.
        """
        pid = int((self.root / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while _accepts_connections(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def promote(self) -> None:
        """Turn this standby into a primary and wait until it accepts writes."""
        self._pg_ctl("promote")

    def pause_replay(self) -> None:
        """Stop applying the WAL the standby receives: it lags on purpose."""
        self.psql("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.psql("SELECT pg_wal_replay_resume()")


@dataclass
class ReplicatedPair:
    """A primary and a synchronous hot standby streaming from it, on loopback.

    ``synchronous_standby_names='*'`` with ``synchronous_commit=on``: a
    commit is acknowledged once the standby has it on disk, so promoting the
    standby after the primary dies loses no acknowledged commit. The setting
    is made after the copy was taken, so the promoted standby does not wait
    for a standby of its own. ``hot_standby_feedback`` keeps the primary from
    removing rows a query on the standby still reads.
    """

    primary: PostgresServer
    standby: PostgresServer

    @classmethod
    def start(cls) -> ReplicatedPair:
        primary = PostgresServer.start(durable=False)
        try:
            standby = PostgresServer.start_standby(primary, durable=False)
        except BaseException:
            primary.stop()
            raise
        pair = cls(primary, standby)
        try:
            standby.psql("ALTER SYSTEM SET hot_standby_feedback = on")
            standby.psql("SELECT pg_reload_conf()")
            pair.wait_until_streaming()
            primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
            primary.psql("ALTER SYSTEM SET synchronous_commit = on")
            primary.psql("SELECT pg_reload_conf()")
            pair.wait_until_streaming(sync_state="sync")
        except BaseException:
            pair.stop()
            raise
        return pair

    def wait_until_streaming(self, *, sync_state: str | None = None) -> None:
        query = "SELECT sync_state FROM pg_stat_replication WHERE state = 'streaming'"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = self.primary.psql(query).split()
            if states and (sync_state is None or sync_state in states):
                return
            time.sleep(0.05)
        raise RuntimeError(f"the standby is not streaming ({sync_state or 'any'})")

    def wait_until_replayed(self) -> None:
        """Wait until the standby has applied everything the primary has written so far."""
        position = self.primary.psql("SELECT pg_current_wal_lsn()").strip()
        query = f"SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn"
        deadline = time.monotonic() + 30
        while self.standby.psql(query).strip() != "t":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the standby did not replay up to {position}")
            time.sleep(0.02)

    def multi_host_url(self, database: str, driver: str = "asyncpg", **query: str) -> str:
        """``host=h1:p1&host=h2:p2`` (primary first), asking for the writable one."""
        hosts = "&".join(f"host=127.0.0.1:{s.port}" for s in (self.primary, self.standby))
        extra = "".join(f"&{key}={value}" for key, value in query.items())
        return (
            f"postgresql+{driver}://postgres@/{database}?{hosts}"
            f"&target_session_attrs=read-write{extra}"
        )

    def stop(self) -> None:
        self.standby.stop()
        self.primary.stop()


def _accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class MariaDBServer:
    """A MariaDB server with a password-less root on 127.0.0.1."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]
    durable: bool = True

    @classmethod
    def start(cls, *, durable: bool = True) -> MariaDBServer:
        if shutil.which("mariadbd") is None and not Path("/usr/sbin/mariadbd").exists():
            raise RuntimeError(
                "MariaDB server not found; install it with 'apt-get install -y mariadb-server' "
                "(the test command does this)."
            )
        root = Path(tempfile.mkdtemp(prefix="adk-store-mariadb-"))
        data = root / "data"
        data.mkdir()
        for path in (root, data):
            _chown(path, "mysql")
        subprocess.run(
            _as_service_user(
                "mysql",
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={data}",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                    "--skip-name-resolve",
                ],
            ),
            check=True,
            capture_output=True,
        )
        port = free_port()
        process = _launch_mariadbd(root, port, durable)
        server = cls(root, port, process, durable)
        server._wait_until_ready()
        return server

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._client("SELECT 1", check=False).returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        log = self.root / "error.log"
        text = log.read_text() if log.exists() else ""
        raise RuntimeError(f"MariaDB did not start: {text[-2000:]}")

    def _client(self, sql: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "mariadb",
                "--no-defaults",
                f"--socket={self.root / 'sock'}",
                "-uroot",
                "-N",
                "-e",
                sql,
            ],
            check=check,
            capture_output=True,
            text=True,
        )

    @property
    def pid(self) -> int:
        """The process started for the server (``runuser`` as root): its tree holds mariadbd."""
        return self.process.pid

    def url(self, database: str, driver: str = "aiomysql", dialect: str = "mysql") -> str:
        return f"{dialect}+{driver}://root@127.0.0.1:{self.port}/{database}?charset=utf8mb4"

    def create_database(self, name: str) -> str:
        self._client(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        return name

    def kill(self) -> None:
        """Kill the server with SIGKILL, as a crash would: no shutdown, no flush."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start the server again on the same data and port (after `kill`).

        InnoDB recovers from its redo log first; with ``durable`` every
        commit acknowledged before the kill is there afterwards.
        """
        if self.process.poll() is None:
            self.kill()
        self.process = _launch_mariadbd(self.root, self.port, self.durable)
        self._wait_until_ready()

    def stop(self) -> None:
        # A clean shutdown through the socket; the server runs under runuser
        # in its own process group, which is killed if it does not exit.
        subprocess.run(
            [
                "mariadb-admin",
                "--no-defaults",
                f"--socket={self.root / 'sock'}",
                "-uroot",
                "shutdown",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def _launch_mariadbd(root: Path, port: int, durable: bool) -> subprocess.Popen[bytes]:
    """Start mariadbd on ``root``'s data, detached in its own process group."""
    return subprocess.Popen(
        _as_service_user(
            "mysql",
            [
                "/usr/sbin/mariadbd",
                "--no-defaults",
                f"--datadir={root / 'data'}",
                f"--socket={root / 'sock'}",
                f"--port={port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={root / 'pid'}",
                f"--log-error={root / 'error.log'}",
                f"--tmpdir={root}",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_bin",
                "--max-connections=300",
                # MySQL 8's default; MariaDB's 16M cuts off a 10 MB event, whose
                # INSERT carries the event document and its content column.
                "--max-allowed-packet=64M",
                f"--innodb-flush-log-at-trx-commit={1 if durable else 2}",
                "--skip-log-bin",
            ],
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
