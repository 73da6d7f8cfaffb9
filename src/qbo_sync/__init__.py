"""qbo_sync: typed, reliable QuickBooks Online sync for Python products.

The names most code needs are re-exported here; the subpackages
(``qbo_sync.models``, ``qbo_sync.errors``, ``qbo_sync.storage``,
``qbo_sync.health``, ``qbo_sync.webhooks``, ``qbo_sync.testing``) hold the rest.
"""

from qbo_sync._environment import Environment
from qbo_sync._version import __version__

__all__ = [
    "Environment",
    "__version__",
]
