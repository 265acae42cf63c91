import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from leads.csv_import import import_job_run, mapping_guess
from leads.models import ImportJob, Lead

GOOD = (
    "Firma;PLZ;Ort;Land;E-Mail;Volumen;CRM-ID\n"
    "Kunde GmbH;80331;München;DE;erika@kunde.example;25000;K-1\n"
    "Zweite AG;10115;Berlin;DE;max@zwei.example;1000;K-2\n"
)
BAD = (
    "company,country,deal_value,notes\n"
    "Gut GmbH,DE,100,ok\n"
    "Schlecht AG,XX,100,\"two\nlines\"\n"
    ",DE,-5,\n"
)


def _upload(client, content: str, name="leads.csv"):
    return client.post(reverse("leads:import"),
                       {"file": SimpleUploadedFile(name, content.encode(), "text/csv")})


def _job(tenant) -> ImportJob:
    with tenant_scope(tenant):
        return ImportJob.objects.latest("created_at")


@pytest.fixture
def start_import(django_capture_on_commit_callbacks):
    def start(client, job, **extra):
        data = {f"map-{i}": field for i, field in
                enumerate(job.mapping.get(h, "") for h in job.headers)}
        data.update(extra)
        # The task is enqueued on commit; the test transaction never commits, so run it here.
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("leads:import-job", args=[job.pk]), data)
    return start


def test_it_guesses_the_mapping_from_headers():
    assert mapping_guess(["Firma", "PLZ", "E-Mail", "Land", "whatever", "company_name"]) == {
        "Firma": "company_name", "PLZ": "postal_code", "E-Mail": "contact_email",
        "Land": "country", "whatever": "", "company_name": ""}


def test_it_shows_the_mapping_preview(client_a, tenant_a):
    response = _upload(client_a, GOOD)
    job = _job(tenant_a)
    assert response["Location"] == reverse("leads:import-job", args=[job.pk])
    page = client_a.get(response["Location"]).text
    assert "Kunde GmbH" in page and '<option value="postal_code" selected>' in page


def test_it_imports_a_good_file(client_a, tenant_a, start_import):
    _upload(client_a, GOOD)
    job = _job(tenant_a)
    response = start_import(client_a, job)
    assert response.status_code == 302
    job = _job(tenant_a)
    assert job.status == "done" and job.created_count == 2
    with tenant_scope(tenant_a):
        lead = Lead.objects.get(external_id="K-1")
    assert (lead.channel, lead.postal_code, str(lead.deal_value)) == ("csv", "80331", "25000.00")
    assert "2 leads created" in client_a.get(reverse("leads:import-job", args=[job.pk])).text


def test_it_lets_the_manager_change_the_mapping(client_a, tenant_a, start_import):
    _upload(client_a, GOOD)
    job = _job(tenant_a)
    start_import(client_a, job, **{"map-5": ""})  # ignore the deal value column
    with tenant_scope(tenant_a):
        assert Lead.objects.get(external_id="K-1").deal_value is None


def test_it_refuses_a_mapping_without_required_fields(client_a, tenant_a, start_import):
    _upload(client_a, GOOD)
    job = _job(tenant_a)
    response = start_import(client_a, job, **{"map-0": ""})
    assert response.status_code == 200 and "company_name" in response.context["mapping_errors"]
    assert _job(tenant_a).status == "mapping"


def test_it_reports_bad_rows_with_line_numbers_and_imports_nothing(client_a, tenant_a,
                                                                     start_import):
    _upload(client_a, BAD)
    start_import(client_a, _job(tenant_a))
    job = _job(tenant_a)
    assert job.status == "invalid" and job.error_count == 2
    assert [(e["line"], sorted(e["fields"])) for e in job.errors] == [
        (3, ["country"]), (5, ["company_name", "deal_value"])]
    with tenant_scope(tenant_a):
        assert not Lead.objects.exists()
    page = client_a.get(reverse("leads:import-job", args=[job.pk])).text
    assert "Nothing was imported" in page


def test_it_imports_the_valid_rows_when_asked(client_a, tenant_a, start_import):
    _upload(client_a, BAD)
    start_import(client_a, _job(tenant_a), skip_invalid="1")
    job = _job(tenant_a)
    assert (job.status, job.created_count, job.error_count) == ("done", 1, 2)


def test_it_rolls_back_everything_when_the_import_crashes(client_a, tenant_a, monkeypatch,
                                                        start_import):
    import leads.csv_import

    content = "company_name,country\n" + "".join(f"Firma {i},DE\n" for i in range(2500))
    _upload(client_a, content)
    calls = []
    real = leads.csv_import.leads_ingest_bulk

    def crash_on_third_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(leads.csv_import, "leads_ingest_bulk", crash_on_third_chunk)
    start_import(client_a, _job(tenant_a))
    job = _job(tenant_a)
    assert job.status == "failed" and "worker lost" in job.failure
    with tenant_scope(tenant_a):
        assert not Lead.objects.exists()


def test_it_starts_over_when_a_task_is_delivered_again(client_a, tenant_a):
    _upload(client_a, GOOD)
    job = _job(tenant_a)
    with tenant_scope(tenant_a):
        ImportJob.objects.filter(pk=job.pk).update(
            status="importing", mapping=mapping_guess(job.headers))
        import_job_run(job_id=job.pk)
        assert Lead.objects.count() == 2
        import_job_run(job_id=job.pk)  # done: a second delivery changes nothing
        assert Lead.objects.count() == 2


def test_it_polls_progress_with_htmx(client_a, tenant_a, start_import):
    _upload(client_a, GOOD)
    start_import(client_a, _job(tenant_a))
    job = _job(tenant_a)
    response = client_a.get(reverse("leads:import-job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in response.text and "Imported" in response.text


def test_it_refuses_an_empty_file(client_a, tenant_a):
    response = _upload(client_a, "")
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_it_reads_spreadsheet_encodings(client_a, tenant_a, encoding, start_import):
    content = "Firma;Land;Ort\nMüller GmbH;DE;Köln\n"
    client_a.post(reverse("leads:import"), {"file": SimpleUploadedFile(
        "x.csv", content.encode(encoding), "text/csv")})
    start_import(client_a, _job(tenant_a))
    with tenant_scope(tenant_a):
        assert Lead.objects.get().company_name == "Müller GmbH"


def test_it_hides_another_tenants_import(client_b, tenant_a):
    with tenant_scope(tenant_a):
        job = ImportJob.objects.create(tenant=tenant_a, created_by="m", filename="a.csv",
                                       content=GOOD, headers=["Firma"])
    assert client_b.get(reverse("leads:import-job", args=[job.pk])).status_code == 404
