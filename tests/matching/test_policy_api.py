"""GET/PUT /api/v1/routing-policy/."""

URL = "/api/v1/routing-policy/"


def test_it_returns_the_current_policy(api_a):
    response = api_a.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["mode"] == "cascade" and "id" in body
    assert set(body["weights"]) >= {"industry", "competency", "size"}


def test_it_saves_a_put_as_a_new_version(api_a):
    response = api_a.put(URL, {"mode": "broadcast", "broadcast_count": 4,
                               "weights": {"distance": 0}}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2 and body["broadcast_count"] == 4
    assert body["weights"]["distance"] == 0 and body["created_by"].startswith("api-key:")
    assert api_a.get(URL).json()["version"] == 2


def test_it_answers_invalid_settings_with_per_field_errors(api_a):
    response = api_a.put(URL, {"exploration_rate": 3, "mode": "telepathy"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"exploration_rate", "mode"}
    assert api_a.get(URL).json()["version"] == 1


def test_it_hides_the_policy_from_a_partner_key(partner_api_a1):
    assert partner_api_a1.get(URL).status_code == 404
    assert partner_api_a1.put(URL, {"mode": "manual"}, format="json").status_code == 404


def test_it_keeps_tenants_policies_apart(api_a, api_b):
    api_a.put(URL, {"mode": "manual"}, format="json")
    assert api_b.get(URL).json()["mode"] == "cascade"
    assert api_b.get(URL).json()["version"] == 1


def test_it_requires_a_key(client, db):
    assert client.get(URL).status_code == 401


def test_it_describes_the_endpoint_in_the_schema(api_a):
    schema = api_a.get("/api/v1/schema/", {"format": "json"}).json()
    operations = schema["paths"]["/api/v1/routing-policy/"]
    assert set(operations) >= {"get", "put"}
