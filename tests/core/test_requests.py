"""Purchase requests and mandates without Slack: the in-memory repository, real phonenumbers
data."""

from __future__ import annotations

import threading

import pytest

from bot.core.compliance import Rules
from bot.core.errors import DomainError, PermissionDenied, ValidationError
from bot.core.model import Actor
from bot.core.requests import AlreadyDecided, Requests, prefix_fits, resolve_area
from bot.core.services import Inventory
from storage.memory import MemoryRepository

MANAGER = Actor("UMANAGER", is_manager=True)
OTHER_MANAGER = Actor("UBOSS", is_manager=True)
READER = Actor("UREADER")
MUNICH = {
    "name": "HQ Munich",
    "customer_name": "ACME GmbH",
    "street": "Marienplatz 1",
    "postal_code": "80331",
    "city": "München",
    "country": "DE",
    "confirmed": True,
}
BERLIN = {**MUNICH, "name": "HQ Berlin", "city": "Berlin", "postal_code": "10117"}


@pytest.fixture
def inventory():
    return Inventory(MemoryRepository(), Rules.shipped(), "DE")


@pytest.fixture
def munich(inventory):
    return inventory.addresses.create(MANAGER, MUNICH)


def purchase(address, **over) -> dict:
    fields = {
        "country": "DE",
        "kind": "local",
        "area": "München",
        "quantity": "2",
        "address": address.id,
        "reason": "New Munich team",
    }
    fields.update(over)
    return fields


# ----------------------------------------------------------------------- areas and prefixes
@pytest.mark.parametrize(
    ("country", "kind", "text", "prefix", "area"),
    [
        ("DE", "local", "89", "89", "Munich"),
        ("DE", "local", "089", "89", "Munich"),
        ("DE", "local", "+49 89", "89", "Munich"),
        ("DE", "local", "München", "89", "Munich"),
        ("DE", "local", "munich", "89", "Munich"),
        ("FI", "local", "Helsingfors", "9", "Helsinki"),
        ("DE", "mobile", "151", "151", ""),
        ("DE", "toll_free", "800", "800", ""),
    ],
)
def test_area_or_prefix_is_checked_against_the_country(country, kind, text, prefix, area):
    found = resolve_area(country, kind, text)
    assert prefix in found.prefixes
    assert found.area == area


@pytest.mark.parametrize(
    ("country", "kind", "text", "says"),
    [
        ("DE", "local", "99999", "No local number in Germany starts with 99999"),
        ("DE", "mobile", "89", "No mobile number in Germany starts with 89"),
        ("CA", "local", "415", "No local number in Canada"),  # a US area code
        ("DE", "local", "Atlantis", "not an area of local numbers in Germany"),
        ("DE", "local", "Frankfurt", "did you mean"),
        ("DE", "mobile", "München", "Only local numbers have an area"),
        ("DE", "local", "+33 1", "not a prefix of Germany"),
    ],
)
def test_wrong_area_or_prefix_is_refused_with_the_reason(country, kind, text, says):
    with pytest.raises(DomainError) as err:
        resolve_area(country, kind, text)
    assert says in err.value.message
    assert err.value.field == "area"


def test_prefix_fits_returns_a_real_number_of_that_kind():
    e164 = prefix_fits("DE", "local", "89")
    assert e164 and e164.startswith("+4989")
    assert prefix_fits("DE", "local", "15") is None  # 015x is mobile in Germany


# ----------------------------------------------------------------------- purchase
def test_purchase_from_request_to_fulfilled_numbers(inventory, munich):
    service = Requests(inventory)
    request = service.create_purchase(READER, purchase(munich))
    assert (request.id, request.status, request.requested_by) == ("R1", "pending", "UREADER")
    assert request.details["prefixes"] == ["89"]
    assert "warning" not in request.details

    decision = service.approve(MANAGER, request.id)
    assert decision.request.status == "approved" and not decision.added

    with pytest.raises(DomainError) as err:  # wrong area, wrong kind, wrong count: named
        service.fulfil(MANAGER, request.id, ["+49 30 1234567", "+49 151 12345678"])
    assert "+49 30 1234567 is a number of Berlin, not of Munich" in err.value.message
    assert "+49 1511 2345678 is a mobile number, not local" in err.value.message
    with pytest.raises(DomainError, match="for 2 numbers: enter at most 2"):
        service.fulfil(MANAGER, request.id, ["089 1234567", "089 1234568", "089 1234569"])
    assert inventory.number_list() == []

    done = service.fulfil(OTHER_MANAGER, request.id, ["089 1234567", "+49 89 7654321"])
    assert done.request.status == "fulfilled"
    assert done.request.numbers == ["+49891234567", "+49897654321"]
    assert [i.verdict.status for i in done.added] == ["ok", "ok"]
    for info in inventory.number_list():
        assert (info.number.source, info.address.name) == ("purchase", "HQ Munich")
    actions = [e.action for e in service.audit("R1")]
    assert actions == ["request.fulfil", "request.approve", "request.purchase"]
    with pytest.raises(AlreadyDecided, match="already decided by UMANAGER"):
        service.fulfil(MANAGER, request.id, ["089 1234568", "089 1234569"])


def test_purchase_form_names_every_wrong_field(inventory, munich):
    with pytest.raises(ValidationError) as err:
        Requests(inventory).create_purchase(
            READER,
            {"country": "Narnia", "kind": "local", "quantity": "101", "address": "", "reason": ""},
        )
    assert set(err.value.errors) == {"country", "quantity", "address", "reason"}
    assert Requests(inventory).all() == []


def test_address_that_cannot_satisfy_the_rules_warns(inventory, munich):
    berlin = inventory.addresses.create(MANAGER, BERLIN)
    service = Requests(inventory)
    warning = service.draft_warning(purchase(berlin))
    assert warning == "Local numbers of Munich need an address in Munich; “HQ Berlin” is in Berlin"
    assert service.draft_warning(purchase(munich)) is None
    assert service.draft_warning({"country": "DE", "address": berlin.id}) is None  # no kind yet
    request = service.create_purchase(READER, purchase(berlin))
    assert request.details["warning"] == warning


@pytest.mark.parametrize(
    ("country", "kind", "area", "address", "expected"),
    [
        # A place: no prefix is shown (a place may span several); a typed prefix is shown
        # as typed, never a made-up number ("+43 14" for Vienna, "+49" alone).
        (
            "AT",
            "local",
            "Vienna",
            "brussels",
            "Local numbers of Vienna need an address in Vienna; “Brussels office” is in Belgium",
        ),
        (
            "AT",
            "local",
            "01",
            "graz",
            "Local numbers of Vienna (+43 1) need an address in Vienna; “Graz office” is in Graz",
        ),
        (
            "AT",
            "local",
            "+43 1",
            "graz",
            "Local numbers of Vienna (+43 1) need an address in Vienna; “Graz office” is in Graz",
        ),
        (
            "DE",
            "local",
            "",
            "brussels",
            "Local numbers of Germany need an address in Germany; “Brussels office” is in Belgium",
        ),
        (
            "DE",
            "mobile",
            "",
            "brussels",
            "Mobile numbers of Germany need an address in Germany; “Brussels office” is in Belgium",
        ),
        (
            "DE",
            "local",
            "030",
            "brussels",
            "Local numbers of Berlin (+49 30) need an address "
            "in Berlin; “Brussels office” is in Belgium",
        ),
        ("AT", "local", "Wien", "vienna", None),
        ("AT", "local", "", "graz", None),  # any Austrian area: the address is the manager's call
    ],
)
def test_purchase_warning_names_what_was_asked_for(
    inventory, country, kind, area, address, expected
):
    made = {
        key: inventory.addresses.create(
            MANAGER, {**MUNICH, "name": name, "city": city, "country": cc, "postal_code": "1000"}
        )
        for key, name, city, cc in (
            ("brussels", "Brussels office", "Brussels", "BE"),
            ("graz", "Graz office", "Graz", "AT"),
            ("vienna", "Vienna office", "Wien", "AT"),
        )
    }
    fields = {"country": country, "kind": kind, "area": area, "address": made[address].id}
    warning = Requests(inventory).draft_warning(fields)
    assert warning == expected
    if expected:
        request = Requests(inventory).create_purchase(
            READER, {**fields, "quantity": "1", "reason": "trial"}
        )
        assert request.details["warning"] == expected


def test_reject_with_reason_and_a_reader_cannot_decide(inventory, munich):
    service = Requests(inventory)
    request = service.create_purchase(READER, purchase(munich))
    with pytest.raises(PermissionDenied):
        service.approve(READER, request.id)
    with pytest.raises(DomainError, match="Reason is required"):
        service.reject(MANAGER, request.id, "  ")
    rejected = service.reject(MANAGER, request.id, "Budget <frozen>")
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        "rejected",
        "Budget <frozen>",
        "UMANAGER",
    )
    with pytest.raises(AlreadyDecided):
        service.approve(OTHER_MANAGER, request.id)
    assert service.get(request.id).status == "rejected"


# ----------------------------------------------------------------------- mandates
def test_mandate_names_each_refused_number(inventory, munich):
    inventory.numbers.add(MANAGER, ["+49 89 1111111"])
    service = Requests(inventory)
    with pytest.raises(ValidationError) as err:
        service.create_mandate(
            READER,
            {
                "numbers": ["+49 89 1111111", "12", "+49 89 2222222", "089 2222222"],
                "company": "ACME GmbH",
                "business_id": "DE123",
                "signatory_name": "Ada",
                "signatory_title": "CEO",
                "address": munich.id,
            },
        )
    message = err.value.errors["numbers"]
    assert "+49 89 1111111 is already in the inventory" in message
    assert "12: " in message
    assert "+49 89 2222222 is given twice" in message


def test_mandate_is_fulfilled_on_approval(inventory, munich):
    service = Requests(inventory)
    request = service.create_mandate(
        READER,
        {
            "numbers": ["+49 89 2222222", "+49 30 3333333"],
            "company": "ACME GmbH",
            "business_id": "DE123",
            "signatory_name": "Ada",
            "signatory_title": "CEO",
            "address": munich.id,
        },
    )
    assert "Berlin" in request.details["warning"]  # a Berlin number with a Munich address
    decision = service.approve(MANAGER, request.id)
    assert decision.request.status == "fulfilled"
    assert sorted(i.e164 for i in decision.added) == ["+49303333333", "+49892222222"]
    statuses = {i.e164: i.verdict.status for i in decision.added}
    assert statuses == {"+49892222222": "ok", "+49303333333": "outside_area"}
    assert {i.number.source for i in inventory.number_list()} == {"mandate"}


def test_concurrent_approvals_decide_once(inventory, munich):
    service = Requests(inventory)
    request = service.create_mandate(
        READER,
        {
            "numbers": ["+49 89 4444444"],
            "company": "ACME GmbH",
            "business_id": "DE123",
            "signatory_name": "Ada",
            "signatory_title": "CEO",
            "address": munich.id,
        },
    )
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def approve(actor):
        start.wait()
        try:
            service.approve(actor, request.id)
            outcomes.append("won")
        except AlreadyDecided:
            outcomes.append("lost")

    threads = [threading.Thread(target=approve, args=(a,)) for a in [MANAGER, OTHER_MANAGER] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    assert [e.action for e in service.audit(request.id)].count("request.approve") == 1
    assert len(inventory.number_list()) == 1
