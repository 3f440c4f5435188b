"""The local web dashboard: a thin FastAPI layer over the same services the CLI calls."""

from strideback.web.app import create_app

__all__ = ["create_app"]
