"""Content-Security-Policy: Django's middleware, plus room for the pages meant to be framed.

Pages marked `@xframe_options_exempt` (the public lead form, embedded on a tenant's own
site) keep the whole policy except `frame-ancestors`, which becomes
CSP_EMBED_FRAME_ANCESTORS; every other page may not be framed at all.
"""

from django.conf import settings
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCspMiddleware


def embeddable_policy() -> dict:
    """The site's policy with the framing rule for embeddable pages."""
    return {**settings.SECURE_CSP,
            "frame-ancestors": list(getattr(settings, "CSP_EMBED_FRAME_ANCESTORS", ["*"]))}


class ContentSecurityPolicyMiddleware(DjangoCspMiddleware):
    def process_response(self, request, response):
        if (settings.SECURE_CSP and getattr(response, "xframe_options_exempt", False)
                and not hasattr(response, "_csp_config")):
            response._csp_config = embeddable_policy()
        return super().process_response(request, response)
