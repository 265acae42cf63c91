"""The tenant-isolation matrix: every route of the project × its methods × every persona.

`MATRIX` names every URL pattern the project resolves; `test_it_has_every_route_in_the_matrix`
fails when a route is added without an entry here, so a new page or endpoint cannot ship
without being tried as the stranger. For each route:

- anonymous → login redirect (pages), 401 (API), the page itself (explicitly public routes);
- the managers, admins and partner users of tenants B and C → 404 on tenant A's objects,
  and the object is unchanged afterwards;
- the other partner of tenant A → 404 on partner-owned objects (offers, portal leads);
- a role without access (a partner user on a manager page) → 404, never 403;
- API keys of tenants B and C (tenant- and partner-scoped) → 404 on A's objects; A's
  revoked key → 401; A's other partner's key → 404 on partner-owned objects;
- list pages and list endpoints show zero rows of another tenant (markers and ids);
- a positive control: A's own persona reaches the object (so a 404 proves isolation, not a
  broken URL).

The world (tests/proof/conftest.py) is built once for the module inside a transaction that
is rolled back at the end; each test runs in a savepoint inside it.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from leadrouter.tenancy.scoping import all_tenants
from tests.proof.conftest import World, api_client

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STAFF = frozenset({"admin", "manager"})
ADMIN = frozenset({"admin"})
PARTNER = frozenset({"partner"})
EVERYONE = frozenset({"admin", "manager", "partner"})
TENANT_KEY = frozenset({"tenant"})
PARTNER_KEY = frozenset({"partner"})
ANY_KEY = frozenset({"tenant", "partner"})

# Persona name in the world → role. "p1" and "p2" are partner users of partners p1 / p2.
PERSONA_ROLES = {"admin": "admin", "manager": "manager", "p1": "partner", "p2": "partner"}


@dataclass(frozen=True)
class Route:
    """What a route is and who may use it.

    kind: "page" (login required), "public" (anyone), "api" (key required), "api-public".
    target / kwarg: the URL kwarg naming tenant A's object (an attribute of A's world).
    params: other URL kwargs (not objects of a tenant).
    owner: the persona (or key) of A that holds the object: the positive control.
    partner_owned: another partner of the same tenant must get 404.
    lists: a GET shows the tenant's rows: a stranger must see none of another tenant's.
    """

    kind: str
    methods: tuple[str, ...]
    roles: frozenset = frozenset()
    target: str = ""
    kwarg: str = ""
    params: Callable | None = None
    owner: str = ""
    partner_owned: bool = False
    lists: bool = False
    anonymous_status: tuple[int, ...] = (200,)

    def url(self, pattern: str, t) -> str:
        kwargs = dict(self.params(t)) if self.params else {}
        if self.target:
            kwargs[self.kwarg] = getattr(t.obj, self.target).pk
        return url_for(pattern, kwargs)


def obj(name: str, kwarg: str) -> dict:
    return {"target": name, "kwarg": kwarg}


def _route(kind, methods, roles, target=None, **kw) -> Route:
    return Route(kind, tuple(methods), roles, **(target or {}), **kw)


def page(methods=("GET",), roles=STAFF, target=None, **kw) -> Route:
    return _route("page", methods, roles, target, **kw)


def api(methods=("GET",), roles=ANY_KEY, target=None, **kw) -> Route:
    return _route("api", methods, roles, target, **kw)


def public(methods=("GET",), statuses=(200,), **kw) -> Route:
    return Route("public", tuple(methods), anonymous_status=statuses, **kw)


MATRIX: dict[str, Route] = {
    # --- landing, auth, health -------------------------------------------------------------
    "": page(roles=EVERYONE),
    "healthz": public(),
    "dashboard/": page(lists=True),
    "tenant/switch/": page(("POST",), roles=EVERYONE),
    "language/": public(("POST",), statuses=(302,)),
    "accounts/login/": public(("GET", "POST")),
    "accounts/logout/": public(("POST",), statuses=(302,)),
    "accounts/password_change/": page(("GET", "POST"), roles=EVERYONE),
    "accounts/password_change/done/": page(roles=EVERYONE),
    "accounts/password_reset/": public(("GET", "POST"), statuses=(200, 302)),
    "accounts/password_reset/done/": public(),
    "accounts/reset/<uidb64>/<token>/": public(
        params=lambda t: {"uidb64": "MQ", "token": "set-password"}),
    "accounts/reset/done/": public(),
    # --- partners ------------------------------------------------------------------------------
    "partners/": page(lists=True),
    "partners/new/": page(("GET", "POST")),
    "partners/<int:partner_id>/": page(target=obj("p1", "partner_id"), owner="manager"),
    "partners/<int:partner_id>/edit/": page(("GET", "POST"), target=obj("p1", "partner_id"),
                                            owner="manager"),
    "partners/<int:partner_id>/pause/": page(("POST",), target=obj("p1", "partner_id")),
    "partners/<int:partner_id>/resume/": page(("POST",), target=obj("p1", "partner_id")),
    "partners/<int:partner_id>/offboard/": page(("POST",), target=obj("p1", "partner_id")),
    "partners/<int:partner_id>/users/": page(("GET", "POST"), target=obj("p1", "partner_id"),
                                             owner="manager"),
    "partners/changes/": page(lists=True),
    "partners/changes/<int:change_id>/approve/": page(
        ("POST",), target=obj("change_request", "change_id")),
    "partners/changes/<int:change_id>/reject/": page(
        ("POST",), target=obj("change_request", "change_id")),
    "portal/profile/": page(("GET", "POST"), roles=PARTNER, lists=True),
    "portal/profile/edit/": page(("GET", "POST"), roles=PARTNER, lists=True),
    "portal/profile/changes/<int:change_id>/": page(
        roles=PARTNER, target=obj("change_request", "change_id"), owner="p1",
        partner_owned=True),
    # --- leads ---------------------------------------------------------------------------------
    "leads/": page(lists=True),
    "leads/new/": page(("GET", "POST")),
    "leads/import/": page(("GET", "POST"), lists=True),
    "leads/import/<int:job_id>/": page(("GET", "POST"), target=obj("import_job", "job_id"),
                                       owner="manager"),
    "leads/<int:lead_id>/": page(("GET", "POST"), target=obj("lead_held", "lead_id"),
                                 owner="manager"),
    "leads/<int:lead_id>/privacy/": page(target=obj("lead_held", "lead_id"), owner="manager"),
    "leads/<int:lead_id>/privacy/export/": page(target=obj("lead_held", "lead_id"),
                                                owner="manager"),
    "leads/<int:lead_id>/privacy/erase/": page(("POST",), target=obj("lead_held", "lead_id")),
    "f/<str:form_key>/": public(("GET", "POST"),
                                params=lambda t: {"form_key": t.tenant.form_key}),
    "f/<str:form_key>/thanks/": public(params=lambda t: {"form_key": t.tenant.form_key}),
    # --- routing policy, what-if, holdout --------------------------------------------------------
    "routing-policy/": page(("GET", "POST"), lists=True),
    "routing-policy/whatif/": page(("POST",)),
    "routing-policy/whatif/<int:run_id>/": page(target=obj("whatif", "run_id"),
                                                owner="manager"),
    "routing-policy/holdout/": page(("POST",)),
    # --- insights (feedback) -------------------------------------------------------------------
    "insights/": page(lists=True),
    "insights/partners/": page(lists=True),
    "insights/partners/<int:partner_id>/": page(target=obj("p1", "partner_id"), owner="manager"),
    "insights/romi/": page(lists=True),
    "insights/tiers/": page(lists=True),
    "insights/actions/<int:action_id>/reverse/": page(("POST",),
                                                      target=obj("rule_action", "action_id")),
    "insights/recompute/": page(("POST",)),
    "portal/performance/": page(roles=PARTNER, lists=True),
    # --- partner portal --------------------------------------------------------------------------
    "portal/": page(roles=PARTNER, lists=True),
    "portal/offers/<int:offer_id>/": page(roles=PARTNER, target=obj("offer_pending", "offer_id"),
                                          owner="p1", partner_owned=True),
    "portal/offers/<int:offer_id>/accept/": page(
        ("POST",), roles=PARTNER, target=obj("offer_pending", "offer_id"), owner="p1",
        partner_owned=True),
    "portal/offers/<int:offer_id>/reject/": page(
        ("POST",), roles=PARTNER, target=obj("offer_pending", "offer_id"), owner="p1",
        partner_owned=True),
    "portal/leads/": page(roles=PARTNER, lists=True),
    "portal/leads/<int:lead_id>/": page(roles=PARTNER, target=obj("lead_held", "lead_id"),
                                        owner="p1", partner_owned=True),
    "portal/leads/<int:lead_id>/outcome/": page(
        ("POST",), roles=PARTNER, target=obj("lead_held", "lead_id"), owner="p1",
        partner_owned=True),
    # --- managers' queue, webhooks ---------------------------------------------------------------
    "queue/": page(lists=True),
    "queue/<int:lead_id>/": page(("POST",), target=obj("lead_unrouted", "lead_id")),
    "settings/webhooks/": page(("GET", "POST"), roles=ADMIN, lists=True),
    "settings/webhooks/<int:webhook_id>/": page(("POST",), roles=ADMIN,
                                                target=obj("webhook", "webhook_id")),
    # --- tenant administration -------------------------------------------------------------------
    "settings/": page(("GET", "POST"), roles=ADMIN, lists=True),
    "settings/users/": page(("GET", "POST"), roles=ADMIN, lists=True),
    "settings/users/<int:membership_id>/role/": page(
        ("POST",), roles=ADMIN, target=obj("membership_manager", "membership_id")),
    "settings/users/<int:membership_id>/remove/": page(
        ("POST",), roles=ADMIN, target=obj("membership_manager", "membership_id")),
    "settings/invitations/<int:invitation_id>/revoke/": page(
        ("POST",), roles=ADMIN, target=obj("invitation", "invitation_id")),
    "settings/api-keys/": page(("GET", "POST"), roles=ADMIN, lists=True),
    "settings/api-keys/<int:api_key_id>/revoke/": page(
        ("POST",), roles=ADMIN, target=obj("key_tenant", "api_key_id")),
    "invite/<str:token>/": public(("GET", "POST"), statuses=(200, 404),
                                  params=lambda t: {"token": "no-such-invitation-token"}),
    "settings/audit/": page(roles=ADMIN, lists=True),
    # --- REST API v1 -----------------------------------------------------------------------------
    "api/v1/whoami/": api(),
    "api/v1/partners/": api(("GET", "POST"), lists=True),
    "api/v1/partners/<int:id>/": api(("GET", "PATCH"), target=obj("p1", "id"), owner="p1",
                                     partner_owned=True),
    "api/v1/partners/<int:id>/change-requests/": api(("GET", "POST"), target=obj("p1", "id"),
                                                     owner="p1", partner_owned=True),
    "api/v1/partners/<int:id>/change-requests/<int:change_id>/": api(
        target=obj("change_request", "change_id"), params=lambda t: {"id": t.obj.p1.pk},
        owner="p1", partner_owned=True),
    "api/v1/partners/<int:id>/change-requests/<int:change_id>/approve/": api(
        ("POST",), roles=TENANT_KEY, target=obj("change_request", "change_id"),
        params=lambda t: {"id": t.obj.p1.pk}, partner_owned=True),
    "api/v1/partners/<int:id>/change-requests/<int:change_id>/reject/": api(
        ("POST",), roles=TENANT_KEY, target=obj("change_request", "change_id"),
        params=lambda t: {"id": t.obj.p1.pk}, partner_owned=True),
    "api/v1/taxonomy/<str:kind>/": api(("GET", "POST"), lists=True,
                                       params=lambda t: {"kind": "industries"}),
    "api/v1/leads/": api(("GET", "POST"), lists=True),
    "api/v1/leads/bulk/": api(("POST",), roles=TENANT_KEY),
    "api/v1/leads/<int:id>/": api(target=obj("lead_held", "id"), owner="p1",
                                  partner_owned=True),
    "api/v1/leads/<int:id>/export/": api(roles=TENANT_KEY, target=obj("lead_held", "id"),
                                         owner="tenant"),
    "api/v1/leads/<int:id>/erase/": api(("POST",), roles=TENANT_KEY,
                                        target=obj("lead_held", "id")),
    "api/v1/routing-policy/": api(("GET", "PUT"), roles=TENANT_KEY),
    "api/v1/partners/<int:pk>/stats/": api(target=obj("p1", "pk"), owner="tenant"),
    "api/v1/offers/": api(lists=True),
    "api/v1/offers/<int:pk>/accept/": api(("POST",), roles=PARTNER_KEY,
                                          target=obj("offer_pending", "pk"), owner="p1",
                                          partner_owned=True),
    "api/v1/offers/<int:pk>/reject/": api(("POST",), roles=PARTNER_KEY,
                                          target=obj("offer_pending", "pk"), owner="p1",
                                          partner_owned=True),
    "api/v1/leads/<int:pk>/outcome/": api(("POST",), target=obj("lead_held", "pk"), owner="p1",
                                          partner_owned=True),
    "api/v1/webhooks/": api(("GET", "POST"), roles=TENANT_KEY, lists=True),
    "api/v1/webhooks/<int:pk>/": api(("DELETE",), roles=TENANT_KEY, target=obj("webhook", "pk")),
    "api/v1/schema/": Route("api-public", ("GET",)),
    "api/v1/docs/": Route("api-public", ("GET",)),
}

# The Django admin (staff only, across tenants) is one entry: its many generated routes are
# checked by sampling the index and every registered model's changelist.
ADMIN_PREFIX = "admin/"

# Request bodies for unsafe methods: plausible enough to reach the object lookup.
POST_DATA = {
    "tenant/switch/": lambda t: {"tenant": t.tenant.pk},
    "queue/<int:lead_id>/": lambda t: {"action": "withdraw", "reason": "stranger"},
    "settings/users/<int:membership_id>/role/": lambda t: {"role": "admin"},
    "settings/webhooks/<int:webhook_id>/": lambda t: {"action": "delete"},
    "portal/offers/<int:offer_id>/reject/": lambda t: {"reason": "other"},
    "portal/leads/<int:lead_id>/outcome/": lambda t: {"status": "won", "value": "1"},
    "api/v1/offers/<int:pk>/reject/": lambda t: {"reason": "other"},
    "api/v1/leads/<int:pk>/outcome/": lambda t: {"status": "won", "value": "1"},
    "api/v1/partners/<int:id>/": lambda t: {"name": "hijacked"},
    "api/v1/partners/<int:id>/change-requests/": lambda t: {"employees": 999},
}


def url_patterns(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every route pattern of the project, as the string Django matches."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def url_for(pattern: str, kwargs: dict) -> str:
    path = pattern
    for name, value in kwargs.items():
        path, count = re.subn(rf"<(?:\w+:)?{name}>", str(value), path)
        assert count == 1, (pattern, name)
    assert "<" not in path, f"{pattern}: URL kwargs missing in the matrix"
    return "/" + path


# --- The world, built once per module ---------------------------------------------------------

@pytest.fixture
def w(shared_world, db, settings) -> World:
    settings.API_RATE_LIMIT = ""
    return shared_world


def browser(world: World, letter: str, persona: str | None) -> Client:
    client = Client()
    if persona:
        client.force_login(world[letter].users[persona])
    return client


def request(client, method: str, url: str, data: dict | None = None):
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if isinstance(client, APIClient):
        return call(url, data or {}, format="json")
    return call(url, data or {})


def snapshot(world: World, route: Route) -> dict | None:
    """Tenant A's object behind the route, as a dict (None once deleted)."""
    if not route.target:
        return None
    instance = getattr(world["a"].obj, route.target)
    # Crossing tenants on purpose: the test reads A's row from outside any request.
    with all_tenants():
        fresh = type(instance).objects.filter(pk=instance.pk).first()
        return model_to_dict(fresh) if fresh is not None else None


def _body(pattern: str, letter_world) -> dict:
    make = POST_DATA.get(pattern)
    return make(letter_world) if make else {}


ROUTE_IDS = sorted(MATRIX)


# --- Completeness ------------------------------------------------------------------------------

def test_it_has_every_route_in_the_matrix():
    routes = {p for p in url_patterns() if not p.startswith(ADMIN_PREFIX)}
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes missing from the isolation matrix: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_it_finds_a_foreign_marker_in_data_but_not_in_random_tokens(w):
    page = ('<body hx-headers=\'{"X-CSRFToken": "qZZAx"}\'><script nonce="ZZBq"></script>'
            '<input type="hidden" name="csrfmiddlewaretoken" value="9ZZA1">')
    assert w.foreign_markers_in("c", page) == []
    assert w.foreign_markers_in("c", page + "<td>ZZB-p1-partner</td>") == ["ZZB"]
    assert w.foreign_markers_in("b", page + "<td>ZZB-p1-partner</td>") == []


def test_it_lists_the_methods_the_api_schema_declares(w):
    schema = Client().get("/api/v1/schema/?format=json").json()
    declared = {}
    for path, operations in schema["paths"].items():
        declared[path] = {m.upper() for m in operations if m in
                          ("get", "post", "put", "patch", "delete")}
    for pattern, route in MATRIX.items():
        if route.kind != "api":
            continue
        path = "/" + pattern
        for name in ("<int:id>", "<int:pk>"):
            path = path.replace(name, "{id}")
        path = path.replace("<str:kind>", "{kind}").replace("<int:change_id>", "{change_id}")
        assert set(route.methods) == declared.get(path), path


# --- Anonymous ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", ROUTE_IDS)
def test_it_turns_away_anonymous_visitors(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    before = snapshot(w, route)
    for method in route.methods:
        if route.kind == "api":
            response = request(api_client(None), method, url, _body(pattern, a))
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.json()["error"]["code"], (method, url)
        elif route.kind == "page":
            response = request(Client(), method, url, _body(pattern, a))
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(resolve_url(settings.LOGIN_URL)), \
                (method, url, response["Location"])
        else:
            response = request(Client(), method, url, _body(pattern, a))
            assert response.status_code in route.anonymous_status, \
                (method, url, response.status_code)
    assert snapshot(w, route) == before


def test_it_turns_anonymous_and_tenant_staff_away_from_the_django_admin(w):
    from django.contrib import admin

    urls = ["/admin/"] + [f"/admin/{m._meta.app_label}/{m._meta.model_name}/"
                          for m in admin.site._registry]
    for persona in (None, "admin", "manager", "p1"):
        client = browser(w, "a", persona)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302, (persona, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (persona, url)


# --- Another tenant's people -------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].kind == "page"])
def test_it_shows_strangers_nothing_of_tenant_a_in_pages(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    for letter in ("b", "c"):
        for persona, role in PERSONA_ROLES.items():
            client = browser(w, letter, persona)
            if route.target:
                url = route.url(pattern, a)
                before = snapshot(w, route)
                for method in route.methods:
                    response = request(client, method, url, _body(pattern, a))
                    assert response.status_code == 404, \
                        (letter, persona, method, url, response.status_code)
                assert snapshot(w, route) == before, (letter, persona, url)
            elif route.lists and "GET" in route.methods and role in route.roles:
                url = route.url(pattern, a)
                response = client.get(url)
                assert response.status_code == 200, (letter, persona, url, response.status_code)
                foreign = w.foreign_markers_in(letter, response.text)
                assert not foreign, (letter, persona, url, foreign)


@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].kind == "page"])
def test_it_answers_404_to_roles_without_access(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    for persona, role in PERSONA_ROLES.items():
        if role in route.roles:
            continue
        client = browser(w, "a", persona)
        before = snapshot(w, route)
        for method in route.methods:
            response = request(client, method, url, _body(pattern, a))
            assert response.status_code == 404, (persona, method, url, response.status_code)
        assert snapshot(w, route) == before, (persona, url)


@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].kind == "api"
                                     and MATRIX[p].roles != ANY_KEY])
def test_it_refuses_keys_of_the_wrong_scope(w, pattern):
    """A partner key on a tenant-only endpoint and a tenant key on a partner-only one."""
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    key = "p1" if route.roles == TENANT_KEY else "tenant"
    before = snapshot(w, route)
    for method in route.methods:
        response = request(api_client(a.keys[key]), method, url, _body(pattern, a))
        assert response.status_code in (403, 404), (key, method, url, response.status_code)
    assert snapshot(w, route) == before


@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].partner_owned])
def test_it_answers_404_to_the_other_partner_of_the_tenant(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    before = snapshot(w, route)
    for method in route.methods:
        if route.kind == "page":
            response = request(browser(w, "a", "p2"), method, url, _body(pattern, a))
        else:
            response = request(api_client(a.keys["p2"]), method, url, _body(pattern, a))
        assert response.status_code == 404, (method, url, response.status_code)
    assert snapshot(w, route) == before


@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].lists
                                     and ("partner" in MATRIX[p].roles)])
def test_it_shows_the_other_partner_none_of_p1s_rows_in_lists(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    if route.kind == "page":
        response = browser(w, "a", "p2").get(url)
        names = [f"{a.marker}-p1-partner", f"{a.marker}-lead_held-GmbH",
                 f"{a.marker}-lead_offered-GmbH"]
        assert response.status_code == 200, (url, response.status_code)
        assert not [n for n in names if n in response.text], url
    else:
        response = api_client(a.keys["p2"]).get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        kinds = {"api/v1/partners/": ("p1",), "api/v1/leads/": ("lead_held", "lead_offered"),
                 "api/v1/offers/": ("offer_pending", "offer_accepted")}.get(pattern, ())
        p1_ids = {getattr(a.obj, name).pk for name in kinds}
        assert not {row["id"] for row in rows} & p1_ids, url


@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].owner
                                     and "GET" in MATRIX[p].methods])
def test_it_lets_the_owner_reach_the_object(w, pattern):
    """The positive control: without it a 404 could mean a broken URL, not isolation."""
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    if route.kind == "page":
        response = browser(w, "a", route.owner).get(url)
    else:
        response = api_client(a.keys[route.owner]).get(url)
    assert response.status_code == 200, (url, response.status_code)


# --- Keys ----------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].kind == "api"])
def test_it_refuses_a_revoked_key(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    url = route.url(pattern, a)
    before = snapshot(w, route)
    for method in route.methods:
        response = request(api_client(a.keys["revoked"]), method, url, _body(pattern, a))
        assert response.status_code == 401, (method, url, response.status_code)
    assert snapshot(w, route) == before


@pytest.mark.parametrize("pattern", [p for p in ROUTE_IDS if MATRIX[p].kind == "api"])
def test_it_shows_other_tenants_keys_nothing_of_tenant_a(w, pattern):
    route = MATRIX[pattern]
    a = w["a"]
    for letter in ("b", "c"):
        for key in ("tenant", "p1", "p2"):
            client = api_client(w[letter].keys[key])
            scope = "tenant" if key == "tenant" else "partner"
            if route.target:
                url = route.url(pattern, a)
                before = snapshot(w, route)
                for method in route.methods:
                    response = request(client, method, url, _body(pattern, a))
                    expected = (404,) if scope in route.roles else (403, 404)
                    assert response.status_code in expected, \
                        (letter, key, method, url, response.status_code)
                assert snapshot(w, route) == before, (letter, key, url)
            elif route.lists and scope in route.roles:
                url = route.url(pattern, a)
                response = client.get(url)
                assert response.status_code == 200, (letter, key, url, response.status_code)
                foreign = w.foreign_markers_in(letter, response.text)
                assert not foreign, (letter, key, url, foreign)
                body = response.json()
                rows = body["results"] if isinstance(body, dict) else body
                ids = {row["id"] for row in rows}
                assert not ids & foreign_ids(w, letter, pattern), (letter, key, url)


def foreign_ids(world: World, letter: str, pattern: str) -> set[int]:
    """Ids of rows of the other tenants that the list endpoint at `pattern` would show."""
    attrs = {
        "api/v1/partners/": ("p1", "p2"),
        "api/v1/leads/": ("lead_offered", "lead_held", "lead_p2", "lead_unrouted"),
        "api/v1/offers/": ("offer_pending", "offer_accepted", "offer_p2"),
        "api/v1/webhooks/": ("webhook",),
    }.get(pattern, ())
    return {getattr(world[x].obj, attr).pk for x in ("a", "b", "c") if x != letter
            for attr in attrs}
