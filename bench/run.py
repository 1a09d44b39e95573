"""The benchmark: `make bench` (PostgreSQL and Redis must be running; not part of `make test`).

1. Small data (100 applications): serve with gunicorn and count the SQL statements per page.
2. Full size (20,000 applications, 5,000 awards, 60,000 monitoring returns, 200,000 audit events):
   serve with gunicorn on loopback and drive each key page with 8 concurrent clients: p50, p95 and
   SQL statements per request, against a bare route in the same gunicorn (the floor).
3. The leverage report in-process against one hand-written SQL aggregate giving the same figures.
4. Monitoring return PDFs: one render, then throughput with one rq worker and with two.

Writes bench/results/latest.json and prints the same as a table. Settings: BENCH_PG (server URL,
default postgresql://postgres@127.0.0.1:5432), BENCH_DB (database, dropped and recreated; default
pf_bench), BENCH_REDIS_URL (default redis://127.0.0.1:6379/15), BENCH_REQUESTS (per client, default 25).
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pyotp

from portfolio import create_app
from portfolio.extensions import db, queue
from portfolio.models import Document, DocumentKind, DocumentStatus, MonitoringReturn, ReturnStatus, User
from portfolio.seed import DEMO_PASSWORD as PASSWORD
from portfolio.seed import DEMO_TOTP_SECRET
from portfolio.services import api_tokens, documents, leverage

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB", "pf_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
CLIENTS = 8
REQUESTS = int(os.environ.get("BENCH_REQUESTS", 25))
FULL = {"applications": 20000, "awards": 5000, "returns_per_award": 12, "audit": 200000}
SMALL = {"applications": 100, "awards": 25, "returns_per_award": 12, "audit": 1000}
INSTANCE = Path(tempfile.mkdtemp(prefix="portfolio-bench-"))

os.environ.update({
    "DATABASE_URL": f"{PG}/{DB_NAME}", "REDIS_URL": REDIS_URL, "RQ_QUEUE": "bench",
    "STORAGE_BACKEND": "database", "LOGIN_RATE_LIMIT": "100000 per minute", "SECRET_KEY": "bench-not-secret",
    "PORTFOLIO_INSTANCE_PATH": str(INSTANCE), "MAIL_FOLDER": str(INSTANCE / "mail"),
})


def fail(message: str) -> None:
    raise SystemExit(f"bench: {message}")


def check_services() -> None:
    import psycopg
    import redis

    try:
        psycopg.connect(f"{PG}/postgres", connect_timeout=5).close()
    except psycopg.Error as exc:
        fail(f"PostgreSQL is not reachable at {PG} ({exc}); start it (see .ci/run)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        fail(f"Redis is not reachable at {REDIS_URL} ({exc}); start it (see .ci/run)")


def run(*args: str, capture: bool = False) -> str:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=dict(os.environ), text=True,
                            capture_output=True)
    if result.returncode != 0:
        fail(f"{' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def fresh_database(sizes: dict) -> dict:
    import psycopg
    import redis

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DB_NAME}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    run("-m", "flask", "--app", "wsgi", "db", "upgrade")
    started = time.perf_counter()
    out = run("-m", "bench.seed", "--applications", str(sizes["applications"]), "--awards", str(sizes["awards"]),
              "--returns-per-award", str(sizes["returns_per_award"]), "--audit", str(sizes["audit"]))
    seeded = json.loads(out.strip().splitlines()[-1])
    seeded["seconds"] = round(time.perf_counter() - started, 1)
    run("-c", "from portfolio import create_app; from portfolio.extensions import db; import sqlalchemy as sa\n"
              "app = create_app()\nwith app.app_context():\n"
              "    db.session.execute(sa.text('ANALYZE')); db.session.commit()")
    return seeded


# --- HTTP -------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", "bench.wsgi_bench:app"], cwd=ROOT, env=dict(os.environ))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/bench/hello", timeout=10).read()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.process.poll() is not None:
                    fail("gunicorn exited while starting")
                time.sleep(0.3)
        self.stop()
        fail("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Client:
    """A browser: cookies, CSRF token, signed in as one user; or an API client with a token."""

    def __init__(self, base: str, *, email: str | None = None, token: str | None = None) -> None:
        self.base, self.token = base, token
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        if email:
            page = self.opener.open(base + "/sign-in").read().decode()
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
                re.search(r'name="csrf_token" value="([^"]+)"', page)
            data = urllib.parse.urlencode({"csrf_token": csrf.group(1), "email": email, "password": PASSWORD})
            page = self.opener.open(base + "/sign-in", data.encode()).read().decode()  # the second-factor step
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
                re.search(r'name="csrf_token" value="([^"]+)"', page)
            code = pyotp.TOTP(DEMO_TOTP_SECRET).now()  # every bench account has the demo authenticator key
            self.opener.open(base + "/sign-in/second-factor",
                             urllib.parse.urlencode({"csrf_token": csrf.group(1), "code": code}).encode())

    def get(self, path: str) -> tuple[int, float, int]:
        request = urllib.request.Request(self.base + path)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        started = time.perf_counter()
        try:
            with self.opener.open(request) as response:
                response.read()
                status, queries = response.status, int(response.headers.get("X-Query-Count", -1))
        except urllib.error.HTTPError as error:
            status, queries = error.code, -1
        return status, (time.perf_counter() - started) * 1000, queries


def drive(clients: list[Client], path: str, requests: int) -> dict:
    """Each client asks for the page `requests` times, all clients at once."""
    def one(client: Client) -> list[tuple[int, float, int]]:
        return [client.get(path) for _ in range(requests)]

    clients[0].get(path)  # warm
    with ThreadPoolExecutor(len(clients)) as pool:
        results = [r for batch in pool.map(one, clients) for r in batch]
    bad = [status for status, _, _ in results if status != 200]
    if bad:
        fail(f"{path}: {len(bad)} of {len(results)} requests failed (status {bad[0]})")
    times = sorted(ms for _, ms, _ in results)
    queries = sorted({q for _, _, q in results})
    return {"path": path, "requests": len(results), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1), "queries": queries[-1],
            "queries_varied": len(queries) > 1}


def api_token(scopes: list[str]) -> str:
    """A token for the API list endpoints."""
    app = create_app()
    with app.app_context():
        finance = db.session.query(User).filter_by(email="bench.finance@portfolio.example").one()
        _, secret = api_tokens.create(db.session, name="bench", scopes=scopes, by=finance)
        db.session.commit()
        return secret


def pages(seeded: dict) -> list[tuple[str, str, str]]:
    """(name, who, path) for every page measured."""
    listed = [("applications_list", "manager", "/applications/"),
              ("application_page", "manager", f"/applications/{seeded['application_id']}"),
              ("award_page", "manager", f"/awards/{seeded['award_id']}"),
              ("leverage_report", "finance", "/reports/leverage"),
              ("budget_by_year", "finance", "/reports/budget-by-year"),
              ("fund_forecasts", "finance", "/awards/forecasts")]
    for resource in ("organisations", "applications", "awards", "claims", "payments", "returns"):
        listed.append((f"api_{resource}", "api", f"/api/v1/{resource}"))
    return listed


def serve_and_measure(seeded: dict, *, requests: int) -> tuple[dict, float]:
    server = Server(workers=2 * (os.cpu_count() or 2) + 1)
    try:
        token = api_token(["organisations:read", "applications:read", "awards:read", "claims:read",
                           "returns:read", "leverage:read"])
        people = {"manager": seeded["manager"], "finance": seeded["finance"]}
        clients = {who: [Client(server.base, email=email) for _ in range(CLIENTS)] for who, email in people.items()}
        clients["api"] = [Client(server.base, token=token) for _ in range(CLIENTS)]
        results = {}
        for name, who, path in pages(seeded):
            if not clients[who]:
                continue
            results[name] = drive(clients[who], path, requests)
        hello = drive([Client(server.base) for _ in range(CLIENTS)], "/bench/hello", requests)
        return results, hello["p50_ms"]
    finally:
        server.stop()


# --- in-process: the leverage report and PDFs ------------------------------------------------------------

FLOOR_SQL = """
WITH paid AS (SELECT award_id, sum(amount) AS paid FROM payments GROUP BY award_id),
latest AS (SELECT DISTINCT ON (award_id) award_id, private_investment, jobs_created, jobs_safeguarded
           FROM monitoring_returns WHERE status = 'verified' ORDER BY award_id, number DESC),
spill AS (SELECT award_id, sum(rd_spend) AS rd, sum(collaborations) AS co, sum(patents_filed) AS pa,
                 sum(training_places) AS tr, sum(supply_chain_spend) AS sc
          FROM monitoring_returns WHERE status = 'verified' GROUP BY award_id),
rows AS (
  SELECT ap.region, ap.cluster,
         CASE WHEN (a.decided_at AT TIME ZONE 'Europe/London') < make_timestamp(
                EXTRACT(YEAR FROM a.decided_at AT TIME ZONE 'Europe/London')::int, 4, 1, 0, 0, 0)
              THEN EXTRACT(YEAR FROM a.decided_at AT TIME ZONE 'Europe/London')::int - 1
              ELSE EXTRACT(YEAR FROM a.decided_at AT TIME ZONE 'Europe/London')::int END AS fy,
         a.amount, coalesce(paid.paid, 0) AS paid, ap.total_project_cost,
         coalesce(o.contracted_private_investment, ap.private_investment, 0) AS pc,
         coalesce(l.private_investment, 0) AS pa, coalesce(o.jobs_created, 0) AS jcc,
         coalesce(l.jobs_created, 0) AS jca, coalesce(o.jobs_safeguarded, 0) AS jsc,
         coalesce(l.jobs_safeguarded, 0) AS jsa, coalesce(s.rd, 0) AS rd, coalesce(s.co, 0) AS co,
         coalesce(s.pa, 0) AS pat, coalesce(s.tr, 0) AS tr, coalesce(s.sc, 0) AS sc
  FROM awards a JOIN applications ap ON ap.id = a.application_id
  LEFT JOIN offers o ON o.award_id = a.id LEFT JOIN paid ON paid.award_id = a.id
  LEFT JOIN latest l ON l.award_id = a.id LEFT JOIN spill s ON s.award_id = a.id
  WHERE a.status <> 'released')
SELECT region, cluster, fy, count(*), sum(amount), sum(paid), sum(total_project_cost), sum(pc), sum(pa), sum(jcc),
       sum(jca), sum(jsc), sum(jsa), sum(rd), sum(co), sum(pat), sum(tr), sum(sc)
FROM rows GROUP BY GROUPING SETS ((), (region), (cluster), (fy))
"""


def median_ms(action, runs: int = 7) -> float:
    action()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def leverage_timings() -> dict:
    import sqlalchemy as sa

    app = create_app()
    with app.app_context():
        report = leverage.report(db.session)
        total = db.session.execute(sa.text(FLOOR_SQL)).all()
        grand = next(row for row in total if row.region is None and row.cluster is None and row.fy is None)
        if (grand[3], grand[4], grand[8]) != (report.total.awards, report.total.grant_committed,
                                              report.total.private_actual):
            fail(f"the SQL floor and the report disagree: {grand} vs {report.total}")
        return {"leverage_report_ms": median_ms(lambda: leverage.report(db.session)),
                "leverage_sql_floor_ms": median_ms(lambda: db.session.execute(sa.text(FLOOR_SQL)).all())}


def pdf_timings(count: int = 48) -> dict:
    import sqlalchemy as sa
    from rq import Worker

    app = create_app()
    with app.app_context():
        finance = db.session.scalar(sa.select(User).where(User.email == "bench.finance@portfolio.example"))
        returns = db.session.scalars(sa.select(MonitoringReturn).where(
            MonitoringReturn.status == ReturnStatus.VERIFIED).order_by(MonitoringReturn.id).limit(count)).all()

        def request_all() -> list[int]:
            ids = [documents.request_document(db.session, kind=DocumentKind.MONITORING_RETURN, record=r,
                                              by=finance).id
                   for r in returns]
            db.session.commit()  # enqueues the render jobs
            return ids

        sample = Document(kind=DocumentKind.MONITORING_RETURN, record_type="monitoring_return",
                          record_id=returns[0].id, requested_by=finance)
        render_only = median_ms(lambda: documents.render_content(db.session, sample), runs=5) / 1000
        db.session.rollback()

        def per_minute(workers: int, *, requests=None) -> float:
            log = (INSTANCE / f"worker-{workers}.log").open("w")
            processes = [subprocess.Popen([sys.executable, "-m", "workers.run"], cwd=ROOT, env=dict(os.environ),
                                          stdout=log, stderr=subprocess.STDOUT) for _ in range(workers)]
            try:
                deadline = time.monotonic() + 60
                while len(Worker.all(queue=queue.queue)) < workers:
                    if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                        fail(f"rq workers did not start: {len(Worker.all(queue=queue.queue))} of {workers} "
                             f"registered, exit codes {[p.poll() for p in processes]}")
                    time.sleep(0.2)
                ids = (requests or request_all)()
                started = time.perf_counter()  # the jobs are in the queue from the commit on
                while True:
                    db.session.rollback()
                    done = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(
                        Document.id.in_(ids), Document.status.in_((DocumentStatus.READY, DocumentStatus.FAILED))))
                    if done == len(ids):
                        break
                    if time.perf_counter() - started > 600:
                        fail("PDF renders did not finish in 10 minutes")
                    time.sleep(0.1)
                elapsed = time.perf_counter() - started
                failed = db.session.scalar(sa.select(sa.func.count()).select_from(Document).where(
                    Document.id.in_(ids), Document.status == DocumentStatus.FAILED))
                if failed:
                    fail(f"{failed} PDF renders failed")
                return round(len(ids) / elapsed * 60, 1) if requests is None else elapsed
            finally:
                for process in processes:
                    process.send_signal(signal.SIGTERM)
                for process in processes:
                    process.wait(timeout=60)

        def one_return() -> list[int]:
            r = returns[0]
            document = documents.request_document(db.session, kind=DocumentKind.MONITORING_RETURN, record=r,
                                                  by=finance)
            db.session.commit()
            return [document.id]

        # One PDF from the request to ready, with an idle worker waiting: what a user waits for.
        single = statistics.median(per_minute(1, requests=one_return) for _ in range(3))
        one, two = per_minute(1), per_minute(2)
        return {"pdf_return_s": round(single, 3), "pdf_render_only_s": round(render_only, 3),
                "pdf_per_min_1_worker": one, "pdf_per_min_2_workers": two}


# --- results ----------------------------------------------------------------------------------------------

def targets(results: dict) -> dict:
    pages_ = results["pages"]
    lists = [p for name, p in pages_.items() if name != "leverage_report"]
    return {
        "queries_constant": all(p["queries"] == p.get("queries_at_100") for p in pages_.values()),
        "p95_under_250ms_lists_and_details": all(p["p95_ms"] < 250 for p in lists),
        "p95_under_600ms_leverage": pages_["leverage_report"]["p95_ms"] < 600,
        "leverage_within_2x_sql_floor": results["leverage_report_ms"] <= 2 * results["leverage_sql_floor_ms"],
        "pdf_under_1_5s": results["pdf_return_s"] < 1.5,
        "two_workers_1_6x": results["pdf_per_min_2_workers"] >= 1.6 * results["pdf_per_min_1_worker"],
    }


def table(results: dict) -> str:
    lines = [f"{'page':<20} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'at 100':>7}  path"]
    for name, p in results["pages"].items():
        lines.append(f"{name:<20} {p['p50_ms']:>8} {p['p95_ms']:>8} {p['queries']:>8} "
                     f"{p.get('queries_at_100', ''):>7}  {p['path']}")
    for key in ("floor_hello_p50_ms", "leverage_report_ms", "leverage_sql_floor_ms", "pdf_return_s",
                "pdf_per_min_1_worker", "pdf_per_min_2_workers"):
        lines.append(f"{key:<28} {results[key]}")
    lines.append("targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in results["targets"].items()))
    return "\n".join(lines)


def main() -> None:
    check_services()
    print(f"bench: small data ({SMALL['applications']} applications): counting SQL per page", flush=True)
    small = fresh_database(SMALL)
    small_pages, _ = serve_and_measure(small, requests=2)
    print(f"bench: full size {FULL}: seeding", flush=True)
    seeded = fresh_database(FULL)
    print(f"bench: seeded in {seeded['seconds']} s; driving pages with {CLIENTS} clients", flush=True)
    measured, hello = serve_and_measure(seeded, requests=REQUESTS)
    for name, page in measured.items():
        page["queries_at_100"] = small_pages.get(name, {}).get("queries")
    print("bench: leverage report against the SQL floor; PDFs", flush=True)
    results = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
               "data": {k: seeded[k] for k in ("applications", "awards", "returns", "audit_events")},
               "clients": CLIENTS, "pages": measured, "floor_hello_p50_ms": hello,
               **leverage_timings(), **pdf_timings()}
    results["targets"] = targets(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"bench: wrote {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
