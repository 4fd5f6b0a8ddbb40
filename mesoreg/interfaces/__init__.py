"""The command line, JSON Schemas, FHIR export, plugin administration.

Private: the public API is ``import mesoreg``."""
