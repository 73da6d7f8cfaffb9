"""The realm's indexes answer exactly what a scan of every stored object would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qbo_sync.testing._fake._core_index import RealmIndex
from qbo_sync.testing._fake._core_realm import Realm
from qbo_sync.testing._fake._entities import BY_NAME


def _rebuilt(realm: Realm) -> RealmIndex:
    """An index built from scratch over the stored records (the reference)."""
    fresh = RealmIndex()
    for name, records in realm.records.items():
        spec = BY_NAME[name]
        for record in records.values():
            fresh.add(spec, record.data)
            if record.deleted:
                fresh.remove(spec, record.data, deleting=True)
    return fresh


def _state(index: RealmIndex) -> dict[str, Any]:
    private = vars(index)
    out: dict[str, Any] = {}
    for key in ("_names", "_docs", "_customers", "_children", "_payments"):
        out[key] = {k: set(v) for k, v in private[key].items() if v}
    out["_doc_numbers"] = {k: +v for k, v in private["_doc_numbers"].items() if +v}
    out["_doc_max"] = dict(private["_doc_max"])
    return out


def _realm_of(api: Any) -> Realm:
    realm: Realm = api.ledger._realms[api.realm]
    return realm


def test_renamed_customer_frees_its_old_name_case_insensitively(api: Any) -> None:
    """After a rename the old name is free and the new one is taken, for every party type."""
    ada = api.customer("Ada Lovelace")
    api.ok("POST", "customer", body={**ada, "DisplayName": "Ada King"})
    api.customer("ada lovelace")  # free again
    fault = api.fault("POST", "vendor", body={"DisplayName": "ADA KING"})
    assert fault["code"] == "6240"
    found = api.query("select * from Customer where DisplayName = 'ADA king'")["Customer"]
    assert [c["Id"] for c in found] == [ada["Id"]]
    assert (
        api.query("select * from Customer where DisplayName = 'Ada Lovelace'")["Customer"][0]["Id"]
        != ada["Id"]
    )


def test_inactive_names_still_clash_and_still_answer_name_queries(api: Any) -> None:
    """Inactivating keeps the name taken (as before the index); Active filters still apply."""
    gone = api.customer("Dormant")
    api.ok(
        "POST",
        "customer",
        body={"Id": gone["Id"], "SyncToken": "0", "sparse": True, "Active": False},
    )
    assert api.fault("POST", "customer", body={"DisplayName": "dormant"})["code"] == "6240"
    assert api.query("select * from Customer where DisplayName = 'Dormant'") == {}
    both = api.query(
        "select * from Customer where DisplayName = 'Dormant' and Active in (true, false)"
    )
    assert [c["Id"] for c in both["Customer"]] == [gone["Id"]]


def test_id_lookups_and_paging_follow_id_order(api: Any) -> None:
    """Id =/IN queries, and pages of a long list, return what a full sort would."""
    ids = [api.customer(f"Pager {n:02d}")["Id"] for n in range(30)]
    page = api.query("select * from Customer startposition 11 maxresults 5")["Customer"]
    assert [c["Id"] for c in page] == ids[10:15]
    picked = api.query(f"select * from Customer where Id in ('{ids[7]}', {ids[3]}, '999999')")
    assert [c["Id"] for c in picked["Customer"]] == [ids[3], ids[7]]
    assert api.query("select count(*) from Customer")["totalCount"] == 30
    ordered = api.query("select * from Customer orderby DisplayName desc maxresults 2")
    assert [c["DisplayName"] for c in ordered["Customer"]] == ["Pager 29", "Pager 28"]


def test_custom_doc_numbers_are_freed_by_delete_and_auto_numbers_keep_counting(
    make_api: Any,
) -> None:
    """A deleted invoice's DocNumber may be reused; the automatic sequence never goes back."""
    custom = make_api(custom_txn_numbers=True)
    customer = custom.customer("Docs")
    first = custom.invoice(customer["Id"], "5.00", DocNumber="INV-1")
    assert (
        custom.fault("POST", "invoice", body={**first, "Id": None, "SyncToken": None})["code"]
        == "6140"
    )
    custom.ok("POST", "invoice", {"operation": "delete"}, {"Id": first["Id"], "SyncToken": "0"})
    assert custom.invoice(customer["Id"], "5.00", DocNumber="INV-1")["DocNumber"] == "INV-1"

    auto = make_api()
    buyer = auto.customer("Auto")
    numbers = [auto.invoice(buyer["Id"], "1.00")["DocNumber"] for _ in range(3)]
    assert numbers == ["1001", "1002", "1003"]
    last = auto.get("Invoice", str(int(auto.invoice(buyer["Id"], "1.00")["Id"])))
    auto.ok("POST", "invoice", {"operation": "delete"}, {"Id": last["Id"], "SyncToken": "0"})
    assert auto.invoice(buyer["Id"], "1.00")["DocNumber"] == "1005"


_OPS = st.lists(
    st.tuples(
        st.sampled_from(["customer", "rename", "sub", "invoice", "pay", "void", "delete", "off"]),
        st.integers(min_value=0, max_value=50),
    ),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_OPS)
def test_index_matches_a_rebuild_after_any_sequence_of_writes(make_api: Any, ops: Any) -> None:
    """Whatever mix of creates, renames, payments, voids and deletes ran, the live
    index equals one rebuilt from the stored records."""
    api = make_api()
    customers: list[str] = [api.customer("Base")["Id"]]
    invoices: list[str] = []
    services = api.services_id
    for op, n in ops:
        cust = customers[n % len(customers)]
        if op == "customer":
            status, made = api.call("POST", "customer", body={"DisplayName": f"Cust {n}"})
            if status == 200:
                customers.append(made["Customer"]["Id"])
        elif op == "rename":
            current = api.get("Customer", cust)
            api.call("POST", "customer", body={**current, "DisplayName": f"cust {n}"})
        elif op == "sub":
            api.call(
                "POST", "customer", body={"DisplayName": f"Sub {n}", "ParentRef": {"value": cust}}
            )
        elif op == "invoice":
            line = {
                "DetailType": "SalesItemLineDetail",
                "Amount": Decimal(n + 1),
                "SalesItemLineDetail": {"ItemRef": {"value": services}},
            }
            status, made = api.call(
                "POST", "invoice", body={"CustomerRef": {"value": cust}, "Line": [line]}
            )
            if status == 200:
                invoices.append(made["Invoice"]["Id"])
        elif op in ("pay", "void", "delete") and invoices:
            status, found = api.call("GET", f"invoice/{invoices[n % len(invoices)]}")
            if status != 200:
                continue
            target = found["Invoice"]
            if op == "pay":
                line = {
                    "Amount": Decimal(1),
                    "LinkedTxn": [{"TxnId": target["Id"], "TxnType": "Invoice"}],
                }
                body = {
                    "CustomerRef": target["CustomerRef"],
                    "TotalAmt": Decimal(1),
                    "Line": [line],
                }
                api.call("POST", "payment", body=body)
            else:
                params = {"operation": op}
                api.call(
                    "POST",
                    "invoice",
                    params,
                    {"Id": target["Id"], "SyncToken": target["SyncToken"]},
                )
        elif op == "off":
            current = api.get("Customer", cust)
            api.call(
                "POST",
                "customer",
                body={
                    "Id": cust,
                    "SyncToken": current["SyncToken"],
                    "sparse": True,
                    "Active": False,
                },
            )
    realm = _realm_of(api)
    assert _state(realm.index) == _state(_rebuilt(realm))
