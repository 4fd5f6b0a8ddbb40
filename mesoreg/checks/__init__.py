"""One module per kind of check, the subject they read, the report they make and its rendering.

Private: the public API is ``import mesoreg``."""
