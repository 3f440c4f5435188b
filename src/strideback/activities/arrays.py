"""The array type the readers pass around (numpy arrays of any dtype; NaN = missing)."""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

Array = npt.NDArray[Any]
