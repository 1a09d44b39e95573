"""Worker faults, against real Redis and real worker processes (runs when REDIS_URL is set).

A worker SIGKILLed in the middle of a render loses nothing: rq's StartedJobRegistry entry for
the job expires (its heartbeat TTL is the job monitoring interval + a fixed 60 s), a later
maintenance pass of another worker finds it abandoned and retries it through the job's
`Retry`, and the idempotent render leaves exactly one ready document. The test waits out
rq's real timings, so it takes about 75 s (see README, "When a worker dies").
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from portfolio.extensions import queue
from portfolio.models import AuditEvent, Document, DocumentStatus
from tests.conftest import needs_redis
from tests.test_workers import ROOT, _ready, _request_pdf, _worker_env

# Short intervals so the test runs as fast as rq allows: the started-job entry expires
# 1 + 60 s after the last heartbeat, and an idle worker cleans registries every ~2 s.
FAST_RECOVERY = ["--job-monitoring-interval", "1", "--maintenance-interval", "2"]
RECOVERY_DEADLINE = 150  # seconds from the kill to a ready document


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    """A worker in its own session/process group, so killpg reaches it and its scheduler."""
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_until(condition, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _killpg(pgid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _tail(log: Path, lines: int = 40) -> str:
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.slow  # ~75 s, mostly waiting out rq's fixed 60 s TTL
@needs_redis
def test_worker_killed_mid_render_loses_nothing(app, client, make, session, tmp_path):
    app.config["STORAGE_BACKEND"] = "database"  # workers are other processes: share files via the DB
    document_url = _request_pdf(client, make, session)
    document = _ready(session, document_url)
    document_id, job_id = document.id, document.job_id
    assert document.status is DocumentStatus.QUEUED and job_id

    env = _worker_env(app)
    marker = tmp_path / "rendering.pid"
    doomed_log, restarted_log = tmp_path / "doomed-worker.log", tmp_path / "restarted-worker.log"
    doomed = restarted = None
    horse_pid = None
    try:
        # 1. A worker whose render hangs: wait until it is in the middle of the render.
        doomed = _start([sys.executable, str(ROOT / "tests" / "slow_render_worker.py"), str(marker),
                         *FAST_RECOVERY], env, doomed_log)
        _wait_until(lambda: marker.exists() or doomed.poll() is not None, 60, "the render to start")
        assert marker.exists(), f"the worker exited before rendering:\n{_tail(doomed_log)}"
        horse_pid = int(marker.read_text())
        document = _ready(session, document_url)
        assert (document.status, document.attempts) == (DocumentStatus.RENDERING, 1)

        # 2. SIGKILL everything: the worker's process group (worker and its scheduler) first, so
        # the worker cannot notice its work-horse dying, then the work-horse, which rq puts in a
        # process group of its own (os.setpgrp after the fork).
        _killpg(doomed.pid)
        _killpg(horse_pid)
        killed_at = time.monotonic()
        doomed.wait(timeout=10)
        _wait_until(lambda: not _alive(horse_pid), 10, "the work-horse to die")
        started = StartedJobRegistry(queue=queue.queue)
        assert job_id in started  # (no cleanup here: `in` only reads the registry)
        assert Job.fetch(job_id, connection=queue.queue.connection).get_status() == JobStatus.STARTED

        # 3. A normal worker: its maintenance passes find the job abandoned once the entry expires.
        restarted = _start([sys.executable, "-m", "workers.run", *FAST_RECOVERY], env, restarted_log)

        def ready():
            if restarted.poll() is not None:
                raise AssertionError(f"the restarted worker exited:\n{_tail(restarted_log)}")
            session.rollback()  # a fresh snapshot each time
            return _ready(session, document_url).status is DocumentStatus.READY

        try:
            _wait_until(ready, RECOVERY_DEADLINE - (time.monotonic() - killed_at), "the re-run", step=1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nrestarted worker log:\n{_tail(restarted_log)}") from None
        recovered_after = time.monotonic() - killed_at

        restarted.send_signal(signal.SIGTERM)  # warm shutdown: also stops its scheduler
        assert restarted.wait(timeout=30) == 0, _tail(restarted_log)
    finally:
        for process in (doomed, restarted):
            if process is not None:
                _killpg(process.pid)
                if process.poll() is None:
                    process.wait(timeout=10)
        if horse_pid is not None:
            _killpg(horse_pid)

    # 4. Nothing lost, nothing doubled.
    session.rollback()
    [document] = session.scalars(sa.select(Document)).all()
    assert document.id == document_id
    assert document.status is DocumentStatus.READY, document.error
    assert document.attempts == 2  # the killed attempt and the re-run
    assert document.error is None
    download = client.get(document_url + "/download").response
    assert download.data.startswith(b"%PDF")

    job = Job.fetch(job_id, connection=queue.queue.connection)
    assert job.get_status() == JobStatus.FINISHED
    assert job.retries_left == 2  # one of the document's 3 retries went on the abandoned run
    assert job_id not in FailedJobRegistry(queue=queue.queue)
    assert job_id not in StartedJobRegistry(queue=queue.queue)

    ready_events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "document.ready")
    ).all()
    assert [(e.entity_type, e.entity_id) for e in ready_events] == [("documents", str(document_id))]
    assert recovered_after < RECOVERY_DEADLINE
