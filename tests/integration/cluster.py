"""A real Ray cluster on 127.0.0.1 for tests: a head (with the Jobs API) and optional worker
nodes, each a ``ray start --block`` in its own process group with its own token and temp dir,
stopped by killing exactly those process groups."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """``with LocalCluster(nodes=2) as c: c.env, c.gcs_address, c.dashboard``"""

    def __init__(self, nodes: int = 1, cpus_per_node: int = 1, startup_s: float = 180):
        self.nodes, self.cpus, self.startup_s = nodes, cpus_per_node, startup_s
        self.tmp = tempfile.mkdtemp(prefix="lrc", dir="/tmp")
        self.port, self.dashboard_port = free_port(), free_port()
        # Like a real cluster, the nodes run with this Python environment first on PATH.
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        self.env = {**os.environ, "PATH": path, "RAY_AUTH_MODE": "token",
                    "RAY_AUTH_TOKEN": secrets.token_hex(16), "RAY_DATA_DISABLE_PROGRESS_BARS": "1"}
        self.procs: list[subprocess.Popen] = []

    @property
    def gcs_address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def dashboard(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    def _start(self, args: list[str], log: str) -> subprocess.Popen:
        with open(Path(self.tmp) / log, "a") as out:
            proc = subprocess.Popen([RAY, "start", "--block", "--disable-usage-stats", f"--num-cpus={self.cpus}",
                                     *args], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def _start_node(self, n: int) -> None:
        self.node_procs[n] = self._start([f"--address={self.gcs_address}", "--node-ip-address=127.0.0.1"],
                                         f"node{n}.log")

    def __enter__(self) -> LocalCluster:
        try:
            return self._start_cluster()
        except BaseException:
            self.__exit__(None, None, None)  # a failed start must not leave processes behind
            raise

    def _start_cluster(self) -> LocalCluster:
        self.node_procs: dict[int, subprocess.Popen] = {}
        self.head = self._start(["--head", f"--port={self.port}", "--node-ip-address=127.0.0.1",
                                 "--dashboard-host=127.0.0.1", f"--dashboard-port={self.dashboard_port}",
                                 "--include-dashboard=true", f"--temp-dir={self.tmp}"], "head.log")
        self._wait(self._dashboard_up, "the head's dashboard")
        for n in range(1, self.nodes):
            self._start_node(n)
        self._wait(lambda: self._alive_nodes() >= self.nodes, f"{self.nodes} nodes")
        return self

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(p.read_text()[-1500:] for p in sorted(Path(self.tmp).glob("*.log")))

    def _wait(self, ready, what: str) -> None:
        deadline = time.monotonic() + self.startup_s
        restarts = 0
        while time.monotonic() < deadline:
            if self.head.poll() is not None:
                raise RuntimeError(f"the head exited while waiting for {what}:\n{self.logs()}")
            for n, proc in list(self.node_procs.items()):
                if proc.poll() is not None:  # a node can miss Ray's fixed 30 s raylet wait when busy
                    if restarts == 2:
                        raise RuntimeError(f"node {n} exited twice while waiting for {what}:\n{self.logs()}")
                    restarts += 1
                    self._start_node(n)
            if ready():
                return
            time.sleep(1)
        raise TimeoutError(f"no {what} after {self.startup_s} s:\n{self.logs()}")

    def _dashboard_up(self) -> bool:
        request = urllib.request.Request(f"{self.dashboard}/api/version",
                                         headers={"x-ray-authorization": f"Bearer {self.env['RAY_AUTH_TOKEN']}"})
        try:
            with urllib.request.urlopen(request, timeout=3) as response:
                return response.status == 200
        except OSError:
            return False

    def _alive_nodes(self) -> int:
        script = ("import ray; ray.init(address='%s', logging_level='ERROR'); "
                  "print(sum(n['Alive'] for n in ray.nodes()))")
        result = subprocess.run([sys.executable, "-c", script % self.gcs_address], env=self.env,
                                capture_output=True, text=True, timeout=120, check=False)
        lines = result.stdout.strip().splitlines()
        return int(lines[-1]) if lines and lines[-1].isdigit() else 0
