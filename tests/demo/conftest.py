import pytest

from leadrouter.demo.seed import demo_seed
from leadrouter.tenancy.scoping import tenant_scope


@pytest.fixture
def demo(db):
    """The demo tenant with a shorter history (the full 2,000 leads are seeded by the
    command tests), used inside its tenant scope."""
    report = demo_seed(history_leads=300)
    with tenant_scope(report.tenant):
        yield report
