import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import IdempotencyRecord, Lead
from tests.leads.conftest import lead_payload


def test_it_replays_the_response_for_the_same_key_and_body(api_a, tenant_a):
    first = api_a.post("/api/v1/leads/", lead_payload(), format="json",
                       HTTP_IDEMPOTENCY_KEY="key-1")
    again = api_a.post("/api/v1/leads/", lead_payload(), format="json",
                       HTTP_IDEMPOTENCY_KEY="key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 1


def test_it_refuses_the_same_key_with_another_body(api_a):
    api_a.post("/api/v1/leads/", lead_payload(), format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    response = api_a.post("/api/v1/leads/", lead_payload(company_name="Other AG"),
                          format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_it_keeps_keys_per_tenant(api_a, api_b):
    a = api_a.post("/api/v1/leads/", lead_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    b = api_b.post("/api/v1/leads/", lead_payload(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert a.status_code == b.status_code == 201
    assert "Idempotent-Replayed" not in b


def test_it_does_not_store_a_failed_request(api_a, tenant_a):
    bad = api_a.post("/api/v1/leads/", lead_payload(country="XX"), format="json",
                     HTTP_IDEMPOTENCY_KEY="key-1")
    assert bad.status_code == 400
    good = api_a.post("/api/v1/leads/", lead_payload(country="XX"), format="json",
                      HTTP_IDEMPOTENCY_KEY="key-1")
    assert good.status_code == 400 and "Idempotent-Replayed" not in good
    with tenant_scope(tenant_a):
        assert not IdempotencyRecord.objects.exists()


def test_it_refuses_an_overlong_key(api_a):
    response = api_a.post("/api/v1/leads/", lead_payload(), format="json",
                          HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


def test_it_works_for_bulk_too(api_a, tenant_a):
    body = {"leads": [lead_payload(), lead_payload(company_name="Zwei GmbH")]}
    first = api_a.post("/api/v1/leads/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="b")
    again = api_a.post("/api/v1/leads/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="b")
    assert again.json() == first.json()
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_lead_for_20_concurrent_requests_with_one_key(postgres_only, api_a,
                                                                     tenant_a):
    auth = api_a._credentials["HTTP_AUTHORIZATION"]
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    ids: set[int] = set()

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=auth)
        try:
            barrier.wait()
            response = client.post("/api/v1/leads/", lead_payload(), format="json",
                                   HTTP_IDEMPOTENCY_KEY="same-key")
            statuses.append(response.status_code)
            ids.add(response.json().get("id"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 20
    assert len(ids) == 1
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_creates_one_lead_for_concurrent_requests_with_one_external_id(postgres_only, api_a,
                                                                          tenant_a):
    auth = api_a._credentials["HTTP_AUTHORIZATION"]
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def send() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=auth)
        try:
            barrier.wait()
            statuses.append(client.post("/api/v1/leads/", lead_payload(external_id="X-1"),
                                        format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 9 + [201]
    with tenant_scope(tenant_a):
        assert Lead.objects.count() == 1
