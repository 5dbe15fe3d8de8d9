"""The Whoosh search backend: the only package that imports ``whoosh``."""
