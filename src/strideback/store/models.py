"""Every table module, imported once so `Base.metadata` knows all tables (Alembic uses it).

Each capability owns its own table module and its own Alembic branch
(see migrations/versions/): add one import line here per module.
"""
# ruff: noqa: I001, F401

from strideback.store import accounts
from strideback.store import activities
from strideback.store import clinic
from strideback.store import clinic_board
from strideback.store import coach
from strideback.store import form
from strideback.store import web
from strideback.store.base import Base

__all__ = ["Base"]
