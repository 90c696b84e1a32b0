"""Importable resources, registered (by importing their modules) in the order the upload screen lists them."""

from imports.resources import customers  # noqa: I001, F401 — registration order is the screen's order
from imports.resources import assets, contracts  # noqa: F401
