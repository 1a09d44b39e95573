"""Copy GOV.UK Frontend's precompiled files from node_modules into portfolio/static.

The GDS Transport font is licensed for gov.uk domains only, so its @font-face rules are
removed and every font stack falls back to Arial; the font files are not copied.
Run after `npm ci` (the Makefile does both).
"""

import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
STATIC = ROOT / "portfolio" / "static"


def main() -> int:
    if not DIST.is_dir():
        print(f"GOV.UK Frontend not found at {DIST}: run `npm ci` first", file=sys.stderr)
        return 1
    vendor = STATIC / "vendor"
    vendor.mkdir(parents=True, exist_ok=True)
    css = (DIST / "govuk-frontend.min.css").read_text(encoding="utf-8")
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("GDS Transport,", "")
    (vendor / "govuk-frontend.min.css").write_text(css, encoding="utf-8")
    shutil.copy2(DIST / "govuk-frontend.min.js", vendor / "govuk-frontend.min.js")
    shutil.copytree(DIST / "assets" / "images", STATIC / "images", dirs_exist_ok=True)
    shutil.copy2(DIST / "assets" / "manifest.json", STATIC / "manifest.json")
    print(f"GOV.UK Frontend assets copied to {STATIC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
