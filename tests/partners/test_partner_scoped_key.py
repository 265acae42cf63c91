def test_it_lists_only_the_keys_own_partner(partner_api_a1, partner_a1, partner_a2):
    results = partner_api_a1.get("/api/v1/partners/").json()["results"]
    assert [p["id"] for p in results] == [partner_a1.pk]


def test_it_reads_the_keys_own_partner(partner_api_a1, partner_a1):
    assert partner_api_a1.get(f"/api/v1/partners/{partner_a1.pk}/").status_code == 200


def test_it_answers_404_for_another_partner(partner_api_a1, partner_a2):
    assert partner_api_a1.get(f"/api/v1/partners/{partner_a2.pk}/").status_code == 404
    response = partner_api_a1.patch(f"/api/v1/partners/{partner_a2.pk}/", {"capacity": 1},
                                    format="json")
    assert response.status_code == 404


def test_it_does_not_let_a_partner_key_create_partners(partner_api_a1):
    response = partner_api_a1.post("/api/v1/partners/", {"external_id": "X", "name": "X",
                                                         "country": "DE"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_it_lets_a_partner_key_change_its_capacity_and_pause(partner_api_a1, partner_a1):
    response = partner_api_a1.patch(f"/api/v1/partners/{partner_a1.pk}/",
                                    {"capacity": 2, "status": "paused"}, format="json")
    assert response.status_code == 200
    assert response.json()["capacity"] == 2 and response.json()["status"] == "paused"


def test_it_does_not_let_a_partner_key_change_its_territory(partner_api_a1, partner_a1):
    response = partner_api_a1.patch(f"/api/v1/partners/{partner_a1.pk}/",
                                    {"territories": [{"country": "FR"}]}, format="json")
    assert response.status_code == 403


def test_it_does_not_let_a_partner_key_change_the_taxonomy(partner_api_a1):
    response = partner_api_a1.post("/api/v1/taxonomy/products/", {"code": "x"}, format="json")
    assert response.status_code == 403
    assert partner_api_a1.get("/api/v1/taxonomy/products/").status_code == 200
