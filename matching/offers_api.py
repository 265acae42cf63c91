"""API for partner systems and CRMs: offers, outcomes, webhook subscriptions."""

from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.models import LossReason
from feedback.services import REPORTABLE, outcome_record
from leads.models import Lead
from matching.models import Offer, OfferStatus, RejectReason, Webhook, WebhookEvent
from matching.offers import offer_accept, offer_reject
from matching.webhooks import webhook_create, webhook_delete


class OfferOutput(serializers.ModelSerializer):
    lead = serializers.IntegerField(source="lead_id")
    partner = serializers.IntegerField(source="partner_id")

    class Meta:
        model = Offer
        fields = ["id", "lead", "partner", "status", "rank", "score", "mode", "offered_at",
                  "expires_at", "responded_at", "reject_reason", "reject_note"]


class RejectInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=RejectReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class OutcomeInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(k, k) for k in REPORTABLE])
    value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                     allow_null=True, min_value=0)
    reason = serializers.ChoiceField(choices=LossReason.choices, required=False,
                                     allow_blank=True, default="")
    closed_at = serializers.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    def validate(self, attrs):
        if attrs["status"] == "lost" and not attrs.get("reason"):
            raise serializers.ValidationError({"reason": [gettext("A lost lead needs a reason.")]})
        return attrs


class OutcomeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    assigned_partner = serializers.IntegerField(source="assigned_partner_id", allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class OfferPage(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="URL of the next page")
    previous = serializers.CharField(allow_null=True, help_text="URL of the previous page")
    results = OfferOutput(many=True)


class OfferPagination(CursorPagination):
    ordering = "-offered_at"
    page_size = 50


def _offers_for(request: Request):
    offers = Offer.objects.all()
    if request.auth.partner_id:
        offers = offers.filter(partner_id=request.auth.partner_id)
    return offers


def _partner_only(request: Request) -> int:
    if not request.auth.partner_id:
        raise PermissionDenied(gettext("Only a partner-scoped API key can answer offers."))
    return request.auth.partner_id


class OfferListView(APIView):
    """Offers: a partner-scoped key sees its own, a tenant key all of the tenant's."""

    @extend_schema(responses=OfferPage, parameters=[
        OpenApiParameter("status", str, enum=OfferStatus.values),
        OpenApiParameter("lead", int)])
    def get(self, request: Request) -> Response:
        offers = _offers_for(request)
        if request.query_params.get("status"):
            offers = offers.filter(status=request.query_params["status"])
        if request.query_params.get("lead", "").isdigit():
            offers = offers.filter(lead_id=int(request.query_params["lead"]))
        paginator = OfferPagination()
        page = paginator.paginate_queryset(offers, request, view=self)
        return paginator.get_paginated_response(OfferOutput(page, many=True).data)


class OfferAcceptView(APIView):
    @extend_schema(request=None, responses={200: OfferOutput}, operation_id="offers_accept")
    def post(self, request: Request, pk: int) -> Response:
        partner_id = _partner_only(request)
        if not _offers_for(request).filter(pk=pk).exists():
            raise Http404
        offer = offer_accept(offer_id=pk, partner_id=partner_id, actor=request.user)
        return Response(OfferOutput(offer).data)


class OfferRejectView(APIView):
    @extend_schema(request=RejectInput, responses={200: OfferOutput},
                   operation_id="offers_reject")
    def post(self, request: Request, pk: int) -> Response:
        partner_id = _partner_only(request)
        if not _offers_for(request).filter(pk=pk).exists():
            raise Http404
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        offer = offer_reject(offer_id=pk, partner_id=partner_id, actor=request.user,
                             **data.validated_data)
        return Response(OfferOutput(offer).data)


class LeadOutcomeView(APIView):
    """Report what became of a lead: a partner key for leads it holds, a tenant (CRM) key
    for any lead, on behalf of the partner holding it."""

    @extend_schema(request=OutcomeInput, responses={200: OutcomeOutput},
                   operation_id="leads_outcome")
    def post(self, request: Request, pk: int) -> Response:
        partner_id = request.auth.partner_id
        leads = Lead.objects.all()
        if partner_id:
            leads = leads.filter(offers__partner_id=partner_id).distinct()
        if not leads.filter(pk=pk).exists():
            raise Http404
        data = OutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead = outcome_record(lead_id=pk, partner_id=partner_id, actor=request.user,
                              **data.validated_data)
        return Response(OutcomeOutput(lead).data)


class WebhookInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.values),
                                   allow_empty=False)


class WebhookOutput(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "is_active", "created_at"]


class WebhookCreatedOutput(WebhookOutput):
    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]


def _tenant_only(request: Request) -> None:
    if request.auth.partner_id:
        raise Http404  # webhooks are the tenant's; a partner key does not see them


class WebhookListView(APIView):
    @extend_schema(responses=WebhookOutput(many=True))
    def get(self, request: Request) -> Response:
        _tenant_only(request)
        return Response(WebhookOutput(Webhook.objects.all(), many=True).data)

    @extend_schema(request=WebhookInput, responses={201: WebhookCreatedOutput})
    def post(self, request: Request) -> Response:
        _tenant_only(request)
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        webhook = webhook_create(tenant=request.auth.tenant, actor=request.user,
                                 **data.validated_data)
        return Response(WebhookCreatedOutput(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        _tenant_only(request)
        webhook = Webhook.objects.filter(pk=pk).first()
        if webhook is None:
            raise Http404
        webhook_delete(webhook=webhook, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
