"""qbo_sync quickstart: the client basics, offline, against the bundled fake QBO.

Run it with ``python examples/quickstart.py``. It creates a customer and an
invoice, queries, and sends a batch, printing what QuickBooks answered.

With a real company, drop the fake and give the client a token provider:
``QBOClient(realm_id=..., environment="sandbox", token_provider=oauth.token_provider())``
(see docs/oauth.md), or use ``oauth.client(realm_id)``.
"""

from __future__ import annotations

from decimal import Decimal

from qbo_sync import QBOClient, Query, models
from qbo_sync.client import BatchOperation
from qbo_sync.errors import DuplicateNameError
from qbo_sync.testing import FakeQBO

# A fake QuickBooks company, in this process. The client talks to it through
# its transport exactly as it would talk to Intuit's sandbox.
fake = FakeQBO()
realm_id = fake.add_company(company_name="Quickstart Bakery")

with QBOClient(
    realm_id=realm_id,
    environment="sandbox",
    access_token=fake.issue_access_token(realm_id),
    transport=fake.transport(),
) as client:
    print("company:", client.company_info().company_name)

    # 1. Create a customer. QBO assigns the Id; SyncToken "0" is its first version.
    customer = client.customers.create(
        models.Customer(
            display_name="Ada Lovelace",
            primary_email_addr=models.EmailAddress(address="ada@example.com"),
        )
    )
    print(f"customer {customer.id}: {customer.display_name} (SyncToken {customer.sync_token})")

    # 2. Invoice them, using the company's default "Services" item. Money is Decimal.
    item = client.items.first(Name="Services")
    assert item is not None
    invoice = client.invoices.create(
        models.Invoice(
            customer_ref=models.Ref(value=customer.id),
            line=[
                models.SalesItemLine(
                    amount=Decimal("337.50"),
                    description="Analytical engine consultation",
                    sales_item_line_detail=models.SalesItemLineDetail(
                        item_ref=models.Ref(value=item.id),
                        qty=Decimal("2.5"),
                        unit_price=Decimal("135.00"),
                    ),
                )
            ],
        )
    )
    print(f"invoice {invoice.doc_number}: total {invoice.total_amt}, balance {invoice.balance}")

    # 3. Query: values are quoted by the builder, never pasted into the statement.
    query = Query("Customer").where(DisplayName="Ada Lovelace")
    print("query:", query)
    print("found:", [c.id for c in client.customers.query(query)])
    print("invoices in the company:", client.invoices.count())

    # 4. Batch: many operations per request; each succeeds or fails on its own.
    names = ["Charles Babbage", "Grace Hopper", "Ada Lovelace"]  # the last one exists already
    result = client.batch(
        [BatchOperation.create(models.Customer(display_name=name), key=name) for name in names]
    )
    for name in names:
        outcome = result[name]
        if outcome.error is None:
            print(f"batch {name}: created, Id {outcome.entity.id}")
        else:
            print(f"batch {name}: {type(outcome.error).__name__} (fault {outcome.error.code})")
    print(f"batch requests sent: {len(result.request_ids)}")

    # 5. Errors are typed and carry Intuit's transaction id (support asks for it first).
    try:
        client.customers.create(models.Customer(display_name="Grace Hopper"))
    except DuplicateNameError as exc:
        print(f"duplicate refused: fault {exc.code}, intuit_tid {exc.intuit_tid}")
