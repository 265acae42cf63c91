"""The watch the journeys rely on: a CSP violation or a JavaScript error on a page is caught
(a watch that saw nothing would let every journey pass)."""

import pytest

pytestmark = pytest.mark.e2e


def test_it_catches_csp_violations_and_javascript_errors(journey):
    tab = journey.open("anonymous")
    tab.go("/accounts/login/")
    # An inline script without the nonce, and an inline style: both refused by the policy.
    tab.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.injected = true";
        document.body.appendChild(script);
        const style = document.createElement("style");
        style.textContent = "body { color: red }";
        document.head.appendChild(style);
        setTimeout(() => { throw new Error("boom from the page"); }, 0);
    }""")
    tab.page.wait_for_timeout(200)
    assert tab.page.evaluate("window.injected") is None
    with pytest.raises(AssertionError) as caught:
        tab.assert_clean()
    report = str(caught.value)
    # Chromium's own words ("Executing inline script violates the following Content Security
    # Policy directive ..."; older versions: "Refused to execute ...") and our listener's.
    assert "inline script violates the following Content Security Policy" in report
    assert "inline style violates the following Content Security Policy" in report
    assert "CSP violation: script-src-elem" in report
    assert "CSP violation: style-src-elem" in report
    assert "boom from the page" in report
