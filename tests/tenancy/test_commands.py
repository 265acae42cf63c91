import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from leadrouter.tenancy.models import ApiKey, Membership, Tenant
from leadrouter.tenancy.scoping import tenant_scope


def test_it_creates_a_tenant(db, capsys):
    call_command("create_tenant", "--slug", "initech", "--name", "Initech AG")
    assert Tenant.objects.get(slug="initech").name == "Initech AG"


def test_it_refuses_a_duplicate_tenant_slug(tenant_a):
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_tenant", "--slug", "acme", "--name", "Other")


def test_it_creates_a_user_with_a_role(tenant_a, capsys):
    call_command("create_user", "--tenant", "acme", "--email", "Ann@Acme.example",
                 "--role", "admin", "--password", "s3cret-enough-42")
    with tenant_scope(tenant_a):
        membership = Membership.objects.select_related("user").get()
    assert membership.role == "admin"
    assert membership.user.email == "ann@acme.example"
    assert authenticate(username="ann@acme.example", password="s3cret-enough-42")


def test_it_prints_a_generated_password(tenant_a, capsys):
    call_command("create_user", "--tenant", "acme", "--email", "bob@acme.example",
                 "--role", "manager")
    password = capsys.readouterr().out.split("Password: ")[1].strip()
    assert authenticate(username="bob@acme.example", password=password)


def test_it_names_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("create_user", "--tenant", "nope", "--email", "a@b.example", "--role",
                     "manager")


def test_it_prints_a_new_api_key_once(tenant_a, capsys, client):
    call_command("create_api_key", "--tenant", "acme", "--name", "Salesforce")
    plain_key = capsys.readouterr().out.strip().splitlines()[-1]
    with tenant_scope(tenant_a):
        api_key = ApiKey.objects.get()
    assert api_key.name == "Salesforce" and plain_key.startswith(f"lr_{api_key.prefix}_")
    response = client.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain_key}")
    assert response.json()["tenant"] == "acme"


def test_it_seeds_the_demo_tenant_idempotently(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    tenant = Tenant.objects.get(slug="demo")
    with tenant_scope(tenant):
        roles = sorted(Membership.objects.values_list("role", flat=True).distinct())
    assert "admin" in roles and "manager" in roles
    assert "manager@demo.leadrouter.local" in out
    assert authenticate(username="manager@demo.leadrouter.local", password="demo-pass-2026")
