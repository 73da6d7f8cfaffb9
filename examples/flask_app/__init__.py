"""qbo_sync in a Flask app: connect, OAuth callback, webhooks and an integration-status page.

Run it (see README.md): ``flask --app flask_app run`` from the ``examples`` folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from .integration import QBOIntegration
from .views import bp

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app factory.

    Args:
        config: Overrides of the defaults below (tests point ``QBO_BASE_URL``
            at a fake QBO). ``QUICKBOOKS_*`` not given here are read from
            the environment.

    Config keys:
        QBO_DB_PATH: The SQLite file for qbo_sync's store and the product's
            records (default: ``<instance folder>/qbo.sqlite3``).
        QBO_BASE_URL: Serve OAuth and the API from this host (a fake QBO);
            unset for Intuit.
        QBO_TENANT_ID: The product tenant of every request (example only).
        QBO_WEBHOOK_INLINE: Pull in the webhook request instead of on a
            background thread.
        QUICKBOOKS_CLIENT_ID, ..._CLIENT_SECRET, ..._REDIRECT_URI,
        ..._ENVIRONMENT, ..._TOKEN_ENCRYPTION_KEY, ..._WEBHOOK_VERIFIER_TOKEN:
            See docs/oauth.md.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("FLASK_SECRET_KEY", "dev"),  # flash() needs a session key
        QBO_DB_PATH=os.environ.get("QBO_DB_PATH")
        or os.path.join(app.instance_path, "qbo.sqlite3"),
        QBO_BASE_URL=os.environ.get("QBO_BASE_URL"),
        QBO_TENANT_ID="demo-tenant",
        QBO_WEBHOOK_INLINE=False,
    )
    for key, value in os.environ.items():
        if key.startswith("QUICKBOOKS_"):
            app.config[key] = value
    if config:
        app.config.from_mapping(config)
    os.makedirs(os.path.dirname(os.path.abspath(app.config["QBO_DB_PATH"])), exist_ok=True)

    app.extensions["qbo"] = QBOIntegration(app.config)
    app.register_blueprint(bp)

    @app.cli.command("load-sample-book")
    @click.option("--customers", default=25, show_default=True)
    @click.option("--invoices", default=40, show_default=True)
    def load_sample_book(customers: int, invoices: int) -> None:
        """Fill the product with a sample book (items, customers, invoices, payments)."""
        from qbo_sync.testing import sample_book  # noqa: PLC0415 - demo data only

        book = sample_book(customers=customers, invoices=invoices,
                           payments=min(10, invoices))
        saved = app.extensions["qbo"].product.save(book.records())
        click.echo(f"{saved} records saved to {app.config['QBO_DB_PATH']}")

    return app
