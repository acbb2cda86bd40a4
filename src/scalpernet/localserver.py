"""The project's own local Neo4j Community server: fetched with Maven, run on 127.0.0.1.

Jars come from Maven Central (``org.neo4j:neo4j``, pinned in settings) into ``neo4j/lib``;
config, data, logs and the pid file live under ``<data folder>/neo4j``. When ``NEO4J_URI``
is set the project never starts its own server.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from scalpernet.config import PROJECT_ROOT, Settings
from scalpernet.errors import ServerError
from scalpernet.servermemory import ServerMemory, resolve

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
MIN_JAVA = 17


@dataclass(frozen=True)
class ServerStatus:
    """What ``db status`` reports."""

    running: bool
    uri: str
    external: bool
    pid: int | None = None
    version: str | None = None
    edition: str | None = None
    detail: str = ""


class LocalServer:
    """Fetch, configure, start, stop and inspect the local Neo4j server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.server_dir
        self.dist = settings.neo4j_dist
        self.lib = self.dist / "lib"

    # -- paths ---------------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "scalpernet-neo4j.pid"

    @property
    def console_log(self) -> Path:
        return self.logs_dir / "console.log"

    # -- prerequisites -------------------------------------------------------
    def java(self) -> str:
        """Path of a Java 17+ executable, or a clear error."""
        java_home = os.environ.get("JAVA_HOME")
        candidate = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
        if not candidate or not Path(candidate).exists():
            raise ServerError(
                f"Java {MIN_JAVA}+ not found (neither JAVA_HOME nor java on PATH): "
                "install OpenJDK 17 or 21 to run the local Neo4j server"
            )
        out = subprocess.run(
            [candidate, "-version"], capture_output=True, text=True, check=False
        ).stderr
        match = re.search(r'version "(\d+)', out)
        if not match or int(match.group(1)) < MIN_JAVA:
            raise ServerError(f"Neo4j 5.26 needs Java {MIN_JAVA}+; {candidate} reports: "
                              f"{out.splitlines()[0] if out else 'nothing'}")
        return candidate

    def admin(self, args: list[str], conf: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``neo4j-admin`` with this server's home and config (or ``conf``), capturing
        its output."""
        self.home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "NEO4J_HOME": str(self.home),
               "NEO4J_CONF": str(conf or self.conf_dir)}
        return subprocess.run([self.java(), "-cp", self._classpath(), ADMIN_CLASS, *args],
                              capture_output=True, text=True, env=env, check=False)

    @cached_property
    def memory(self) -> ServerMemory:
        """The heap and page cache this server runs with (``servermemory.resolve``)."""
        self.fetch()
        return resolve(self.settings, self.admin)

    def fetched_version(self) -> str | None:
        marker = self.lib / ".version"
        return marker.read_text().strip() if marker.exists() else None

    def fetch(self) -> bool:
        """Download the pinned server jars with Maven unless present; True if it downloaded."""
        version = self.settings.neo4j_version
        if self.fetched_version() == version:
            return False
        mvn = shutil.which("mvn")
        if not mvn:
            raise ServerError("Maven (mvn) not found: it is needed once to fetch Neo4j's jars")
        if self.lib.exists():
            shutil.rmtree(self.lib)
        pom = self.dist / "pom.xml"
        if not pom.exists():
            pom = PROJECT_ROOT / "neo4j" / "pom.xml"
        cmd = [mvn, "-q", "-B", "-f", str(pom), f"-Dneo4j.version={version}",
               f"-DoutputDirectory={self.lib}", "dependency:copy-dependencies"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        jar = self.lib / f"neo4j-{version}.jar"
        if done.returncode != 0 or not jar.exists():
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            raise ServerError(f"fetching Neo4j {version} with Maven failed: {last[0]}")
        (self.lib / ".version").write_text(version + "\n")
        return True

    # -- process -------------------------------------------------------------
    def pid(self) -> int | None:
        """The server's pid if our pid file names a live process."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and MAIN_CLASS.encode() not in cmdline.read_bytes():
            return None  # the pid was reused by something else
        return pid

    def port_in_use(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.settings.bolt_port)) == 0

    def write_config(self) -> None:
        for sub in ("conf", "data", "logs", "run", "import"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        template = (PROJECT_ROOT / "neo4j" / "neo4j.conf.template").read_text(encoding="utf-8")
        text = template.format(
            bolt_port=self.settings.bolt_port,
            data_dir=self.home / "data",
            logs_dir=self.logs_dir,
            run_dir=self.home / "run",
            import_dir=self.home / "import",
            pagecache=self.memory.pagecache,
        )
        (self.conf_dir / "neo4j.conf").write_text(text, encoding="utf-8")

    def _classpath(self) -> str:
        return f"{self.lib}/*"

    def _ensure_password(self) -> None:
        """Before the very first start, set a generated password (kept in the data folder)."""
        if (self.home / "data" / "databases" / "system").exists():
            return
        password_file = self.settings.password_file
        if not password_file.exists():
            password_file.parent.mkdir(parents=True, exist_ok=True)
            # hex: a generated password must never start with "-", which the admin tool
            # would read as an option
            password_file.write_text(secrets.token_hex(16) + "\n", encoding="utf-8")
            password_file.chmod(0o600)
        password = (
            self.settings.neo4j_password
            or password_file.read_text(encoding="utf-8").strip()
        )
        done = self.admin(["dbms", "set-initial-password", password])
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines() or ["no output"]
            raise ServerError("could not set the local server's initial password: "
                              + next((ln for ln in lines if "Exception" in ln), lines[0]))

    def start(self) -> ServerStatus:
        """Start the server (idempotent) and wait until Bolt answers."""
        if self.settings.external:
            status = self.status()
            if not status.running:
                raise ServerError(f"NEO4J_URI is set but {status.uri} does not answer: "
                                  f"{status.detail}")
            return status
        if self.pid() is not None:
            return self.wait_until_ready()
        java = self.java()
        if self.port_in_use():
            raise ServerError(f"port {self.settings.bolt_port} on 127.0.0.1 is already in use "
                              "by another process: stop it or set SCALPERNET_BOLT_PORT")
        self.fetch()
        self.write_config()
        self._ensure_password()
        heap = self.memory.heap
        cmd = [
            java, f"-Xms{heap}", f"-Xmx{heap}", "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp", self._classpath(), MAIN_CLASS,
            f"--home-dir={self.home}", f"--config-dir={self.conf_dir}",
        ]
        with open(self.console_log, "ab") as log:
            proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.home, start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid}\n")
        return self.wait_until_ready(proc)

    def wait_until_ready(self, proc: subprocess.Popen[bytes] | None = None) -> ServerStatus:
        deadline = time.monotonic() + self.settings.start_timeout_s
        last = ""
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ServerError(f"Neo4j exited during start (code {proc.returncode}): "
                                  f"{self._last_log_line()} (logs: {self.logs_dir})")
            status = self.status()
            if status.running:
                return status
            last = status.detail
            time.sleep(0.5)
        raise ServerError(f"Neo4j did not answer on {self.settings.uri} within "
                          f"{self.settings.start_timeout_s:.0f} s: {last} (logs: {self.logs_dir})")

    def _last_log_line(self) -> str:
        for path in (self.logs_dir / "neo4j.log", self.console_log):
            if path.exists():
                lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
                errors = [ln for ln in lines if "ERROR" in ln or "Exception" in ln]
                if errors or lines:
                    return (errors or lines)[-1][:300]
        return "no log output"

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Stop the server if it runs; True if it was running."""
        if self.settings.external:
            return False
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pid() is None:
                break
            time.sleep(0.2)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> ServerStatus:
        """Whether the configured server answers Bolt, with its version and edition."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        from scalpernet.graph.queries import load_query

        settings = self.settings
        pid = None if settings.external else self.pid()
        if not settings.external and pid is None:
            return ServerStatus(False, settings.uri, False, detail="not running")
        password = settings.password
        auth = (settings.neo4j_user, password) if password is not None else None
        try:
            with GraphDatabase.driver(settings.uri, auth=auth, connection_timeout=3) as driver:
                driver.verify_connectivity()  # fails fast, unlike execute_query's retries
                records, _, _ = driver.execute_query(
                    load_query("server_components"), database_="system"
                )
        except (ServiceUnavailable, OSError) as exc:
            return ServerStatus(False, settings.uri, settings.external, pid,
                                detail=f"Bolt does not answer yet ({type(exc).__name__})")
        except Neo4jError as exc:
            return ServerStatus(False, settings.uri, settings.external, pid,
                                detail=f"{exc.code}: {exc.message}")
        row = records[0]
        return ServerStatus(True, settings.uri, settings.external, pid,
                            version=row["version"], edition=row["edition"], detail="running")
