import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadrouter.settings")
application = get_wsgi_application()

# Import every view now (Django does it on the first request) and move the ≈ 160,000
# start-up objects out of the collector's reach: otherwise each full collection walks them
# all, holding the GIL for 10–250 ms and stalling every request thread of the worker — the
# p99 tail of the API (docs/benchmarks.md, "Ingestion").
get_resolver().url_patterns  # noqa: B018
gc.freeze()
