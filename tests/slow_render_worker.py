"""`python -m workers.run` whose PDF renders hang, for tests/test_worker_faults.py.

    python tests/slow_render_worker.py MARKER [workers.run options...]

Every render writes the work-horse's pid to MARKER and then sleeps, so the test knows the job
is in progress (document status `rendering`) and can kill the worker in the middle of it. The
patch is made before rq forks its work-horse, which inherits it.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portfolio.services import document_kinds  # noqa: E402
from workers import run  # noqa: E402

HANG_SECONDS = 600


def main() -> int:
    marker = Path(sys.argv[1])

    def hanging_render_pdf(template: str, **context) -> bytes:
        partial = marker.with_suffix(".tmp")
        partial.write_text(str(os.getpid()))
        partial.replace(marker)  # appears whole: the test never reads a half-written pid
        time.sleep(HANG_SECONDS)
        raise RuntimeError("this render should have been killed")

    document_kinds.render_pdf = hanging_render_pdf  # the renderers look render_pdf up by name
    return run.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
