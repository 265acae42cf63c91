"""API v1 of the feedback app: a partner's statistics and tier."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.models import Tier
from feedback.selectors import get_partner_for_user, partner_stats


class StatsBlockOutput(serializers.Serializer):
    offers = serializers.IntegerField()
    accepts = serializers.IntegerField()
    rejects = serializers.IntegerField()
    expiries = serializers.IntegerField()
    returns = serializers.IntegerField()
    closed = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    accept_rate = serializers.FloatField(allow_null=True)
    median_time_to_accept_seconds = serializers.FloatField(allow_null=True)
    conversion_closed = serializers.FloatField(allow_null=True,
                                               help_text="won / closed (won + lost)")
    conversion_accepted = serializers.FloatField(allow_null=True, help_text="won / accepted")
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2)
    median_time_to_close_seconds = serializers.FloatField(allow_null=True)
    reject_reasons = serializers.DictField(child=serializers.IntegerField())
    loss_reasons = serializers.DictField(child=serializers.IntegerField())


class SegmentStatsOutput(serializers.Serializer):
    segment = serializers.CharField(help_text="industry sector × size class, e.g. C:medium")
    all_time = StatsBlockOutput()
    window = StatsBlockOutput()


class PartnerStatsOutput(serializers.Serializer):
    partner = serializers.IntegerField()
    tier = serializers.ChoiceField(choices=Tier.choices, help_text="the tier routing uses")
    computed_tier = serializers.ChoiceField(choices=Tier.choices,
                                            help_text="the tier the data says")
    posterior_conversion = serializers.FloatField(allow_null=True)
    boost = serializers.FloatField()
    tier_computed_at = serializers.DateTimeField(allow_null=True)
    window_days = serializers.IntegerField()
    all_time = StatsBlockOutput()
    window = StatsBlockOutput()
    segments = SegmentStatsOutput(many=True)


class PartnerStatsView(APIView):
    """A partner's statistics and tier. A partner-scoped key sees only its own partner."""

    @extend_schema(responses=PartnerStatsOutput, operation_id="partners_stats")
    def get(self, request: Request, pk: int) -> Response:
        partner = get_partner_for_user(partner_id=pk, partner_scope=request.auth.partner_id)
        return Response(PartnerStatsOutput(partner_stats(partner=partner)).data)
