"""Find the other capabilities' service functions by their contract names.

The dashboard is built while the capabilities grow. A page asks for a function here;
if its module or the function is not there yet, the page shows a clear
"not available yet" state instead of failing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

SERVICES = {
    "activities": "strideback.activities.service",
    "load": "strideback.load.service",
    "coach": "strideback.coach.service",
    "form": "strideback.form.service",
}


class NotAvailable(RuntimeError):
    """A capability's service function does not exist (yet)."""

    def __init__(self, capability: str, name: str, why: str):
        super().__init__(f"{capability}.{name} is not available yet ({why})")
        self.capability = capability
        self.name = name


def service_function(capability: str, name: str) -> Callable[..., Any]:
    """The function `name` of the capability's service module, or raise NotAvailable."""
    module_name = SERVICES[capability]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise NotAvailable(capability, name, f"module {module_name} not found") from exc
        raise NotAvailable(capability, name, f"{module_name} cannot be imported: {exc}") from exc
    except ImportError as exc:  # a capability still being written: say so on the page
        raise NotAvailable(capability, name, f"{module_name} cannot be imported: {exc}") from exc
    func = getattr(module, name, None)
    if func is None:
        raise NotAvailable(capability, name, f"{module_name} has no {name}()")
    return func


def call(capability: str, name: str, *args: Any, **kwargs: Any) -> Any:
    return service_function(capability, name)(*args, **kwargs)


def available(capability: str, name: str) -> bool:
    try:
        service_function(capability, name)
    except NotAvailable:
        return False
    return True


def exception_type(capability: str, name: str) -> type[BaseException] | None:
    """An exception class a service module exports (e.g. form's FormError), if present."""
    try:
        module = importlib.import_module(SERVICES[capability])
    except ModuleNotFoundError:
        return None
    found = getattr(module, name, None)
    return found if isinstance(found, type) and issubclass(found, BaseException) else None
