"""What users and packs write and mesoreg reads or writes: models, units, loading, validation.

Private: the public API is ``import mesoreg``."""
