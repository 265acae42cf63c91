"""API v1 for GDPR requests on a lead: export and erasure (tenant keys only)."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leadrouter.api_errors import ApiErrorOutput
from leads.models import Lead
from leads.privacy import lead_erase, lead_export


def get_lead_for_privacy(*, request: Request, lead_id: int) -> Lead:
    """A lead of the key's tenant. Partner keys never reach GDPR requests: 404, as for any
    object the key may not see."""
    if request.auth.partner_id is not None:
        raise Http404
    lead = Lead.objects.select_related("tenant").filter(pk=lead_id).first()
    if lead is None:
        raise Http404
    return lead


class ErasureCopiesOutput(serializers.Serializer):
    lead = serializers.IntegerField()
    offers = serializers.IntegerField(help_text="offers whose note was erased")
    events = serializers.IntegerField(help_text="outcome events whose note was erased")
    audit_entries = serializers.IntegerField()
    webhook_deliveries = serializers.IntegerField()
    idempotency_records = serializers.IntegerField()
    import_jobs = serializers.IntegerField()


class ErasureOutput(serializers.Serializer):
    id = serializers.IntegerField()
    anonymised_at = serializers.DateTimeField()
    erased = ErasureCopiesOutput(help_text="rows changed, by kind")


class LeadExportView(APIView):
    """`GET /leads/{id}/export/`."""

    @extend_schema(
        operation_id="leads_export",
        responses={200: OpenApiTypes.OBJECT, 404: ApiErrorOutput},
        description="Everything held about the lead's contact (GDPR access request): the "
                    "lead's fields, its offers, outcome events and the audit entries that "
                    "mention it, and `same_contact_leads` (other leads with the same contact "
                    "e-mail). Tenant keys only.",
    )
    def get(self, request: Request, id: int) -> Response:  # noqa: A002 (the API's path name)
        lead = get_lead_for_privacy(request=request, lead_id=id)
        return Response(lead_export(lead=lead, actor=request.user))


class LeadEraseView(APIView):
    """`POST /leads/{id}/erase/`."""

    @extend_schema(
        operation_id="leads_erase", request=None,
        responses={200: ErasureOutput, 404: ApiErrorOutput},
        description="Erase the contact's personal data (name, e-mail, phone, notes, company "
                    "name) on the lead and in every copy (offer and event notes, audit "
                    "entries, webhook payloads, stored API responses, CSV imports). Statuses, "
                    "offers, outcome events and values are kept for the statistics. Repeating "
                    "the call is harmless. Tenant keys only.",
    )
    def post(self, request: Request, id: int) -> Response:  # noqa: A002 (the API's path name)
        lead = get_lead_for_privacy(request=request, lead_id=id)
        report = lead_erase(lead_id=lead.pk, actor=request.user)
        lead.refresh_from_db(fields=["anonymised_at"])
        return Response(ErasureOutput({"id": lead.pk, "anonymised_at": lead.anonymised_at,
                                       "erased": report}).data)
