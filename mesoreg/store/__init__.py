"""Versions, ledgers, publishing, verification, recheck and clinical diff.

Private: the public API is ``import mesoreg``."""
