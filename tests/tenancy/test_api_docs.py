def test_it_serves_the_interactive_api_docs_without_inline_code(client, db):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    assert "<style" not in page.text and "<script>" not in page.text
    assert "Content-Security-Policy" in page.headers
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text


def test_it_serves_the_openapi_schema(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/leads/", "/api/v1/leads/bulk/", "/api/v1/leads/{id}/",
                 "/api/v1/leads/{id}/outcome/", "/api/v1/partners/", "/api/v1/partners/{id}/",
                 "/api/v1/offers/", "/api/v1/offers/{id}/accept/", "/api/v1/offers/{id}/reject/",
                 "/api/v1/routing-policy/", "/api/v1/webhooks/", "/api/v1/webhooks/{id}/",
                 "/api/v1/partners/{id}/stats/", "/api/v1/taxonomy/{kind}/"):
        assert path in paths, path
