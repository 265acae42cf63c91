"""A real Celery worker in a subprocess, for tests that prove a task crosses a broker.

The worker reads the same test database (a transactional test commits its rows) and
listens on a queue of its own, so parallel test processes do not steal each other's tasks.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url_for_test_db() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or "postgres"
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class Worker:
    def __init__(self, env: dict[str, str], queue: str | None = None):
        self.queue = queue or f"test-{uuid.uuid4().hex[:8]}"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url_for_test_db(),
               **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leadrouter", "worker", "-Q", self.queue,
             "--concurrency", "1", "--pool", "solo", "--without-heartbeat", "--without-gossip",
             "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> str:
        if self.process is None:
            return ""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()
