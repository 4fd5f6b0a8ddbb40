"""The plugin host: discovery, settings, the registry, guarded calls, running a check.

Private: the public API is ``import mesoreg``."""
