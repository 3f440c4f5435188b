"""Page and action routes, one module per page."""
