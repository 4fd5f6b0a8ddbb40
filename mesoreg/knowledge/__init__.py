"""Packs, names, codes and the merged catalog; data/ holds the built-in TOML.

Private: the public API is ``import mesoreg``."""
