"""The app as gunicorn serves it for the benchmark, plus two things only the benchmark needs:

- `/bench/hello`: a bare route in the same app and gunicorn, the floor every page is compared with;
- an `X-Query-Count` response header: the SQL statements the request ran.
"""

import sqlalchemy as sa
from flask import g, has_request_context

from portfolio import create_app
from portfolio.access import public

app = create_app()


@public
def hello():
    return "hello"


app.add_url_rule("/bench/hello", "bench_hello", hello)


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    if has_request_context():
        g.bench_queries = g.get("bench_queries", 0) + 1


@app.after_request
def _query_count(response):
    response.headers["X-Query-Count"] = str(g.get("bench_queries", 0))
    return response
