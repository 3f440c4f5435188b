"""Runner ownership: every row a runner owns carries `runner_id` (clinic mode, issue #12).

`RunnerOwned` is the mixin of those tables. `Database.session()` (store/db.py) filters every
ORM query on them by the runner the session acts for and stamps new rows with it, so a
service that forgets a filter still cannot read or write another runner's rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

LOCAL_RUNNER_USERNAME = "me"  # the single-user default's runner (created on first use)


def local_runner_values() -> dict[str, Any]:
    """The accounts row of the local runner "me" (role runner, no password)."""
    return {
        "username": LOCAL_RUNNER_USERNAME,
        "role": "runner",
        "display_name": "Me",
        "password_hash": None,
        "clinician_id": None,
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        "disabled": False,
    }


class RunnerOwned:
    """Mixin: the runner (accounts_users.id) a row belongs to."""

    @declared_attr
    def runner_id(cls) -> Mapped[int]:  # noqa: N805 (SQLAlchemy's declared_attr protocol)
        return mapped_column(Integer, ForeignKey("accounts_users.id"), nullable=False, index=True)
