"""A throwaway PostgreSQL server for tests that are about PostgreSQL.

Started with the server binaries found on the machine (Debian's postgresql package), on a
free loopback port, in a temporary directory; stopped and removed afterwards.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    for candidate in [os.environ.get("TANDEM_PG_BINDIR", "")] + sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), reverse=True
    ):
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "postgres").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://tandem@127.0.0.1:{self.port}/tandem"

    def _run_as(self) -> dict[str, object]:
        # initdb refuses to run as root; run the server as 'nobody' (or 'postgres') then.
        if os.geteuid() != 0:
            return {}
        for name in ("postgres", "nobody"):
            try:
                user = pwd.getpwnam(name)
            except KeyError:
                continue
            return {"user": user.pw_uid, "group": user.pw_gid}
        raise PostgresUnavailable("running as root and no unprivileged user to run PostgreSQL")

    def start(self) -> PostgresServer:
        as_user = self._run_as()
        data = self.root / "data"
        self.root.chmod(0o777)
        if as_user:
            os.chown(self.root, as_user["user"], as_user["group"])  # type: ignore[arg-type]
        subprocess.run(
            [str(self.bindir / "initdb"), "-D", str(data), "-U", "tandem", "-A", "trust",
             "-E", "UTF8", "--locale=C"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user,  # type: ignore[arg-type]
        )
        self.port = _free_port()
        self.process = subprocess.Popen(
            [str(self.bindir / "postgres"), "-D", str(data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.root), "-F", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user,  # type: ignore[arg-type]
        )
        for _ in range(200):
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            if ready.returncode == 0:
                break
            if self.process.poll() is not None:
                raise PostgresUnavailable("postgres exited during start-up")
            time.sleep(0.05)
        else:
            raise PostgresUnavailable("postgres did not become ready")
        subprocess.run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "tandem", "tandem"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL server binaries not found (apt-get install postgresql); "
            "PostgreSQL tests skipped")
    return PostgresServer(bindir, Path(tempfile.mkdtemp(prefix="tandem-pg-"))).start()


def fresh_database(server_url: str, prefix: str = "t") -> str:
    """CREATE DATABASE with a unique name on the test server; returns its URL.

    Each test that writes gets its own database, so tests never see each other's rows.
    """
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)
