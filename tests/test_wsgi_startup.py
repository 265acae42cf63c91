"""The WSGI entry point is warm before its first request: views imported, start-up objects
frozen out of the garbage collector's full collections (the API's p99 tail)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_imports_the_views_and_freezes_what_start_up_built():
    probe = ("import gc, sys, leadrouter.wsgi; "
             "print(gc.get_freeze_count(), 'leads.api' in sys.modules, "
             "'matching.portal_views' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "DEBUG": "1"}, timeout=120, check=True)
    frozen, api_loaded, portal_loaded = result.stdout.split()

    assert int(frozen) > 50_000
    assert api_loaded == portal_loaded == "True"
