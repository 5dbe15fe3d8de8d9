# Placeholder until the structure work lands.
from . import bp  # noqa: F401
