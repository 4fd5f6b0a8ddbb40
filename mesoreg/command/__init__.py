"""The command line: the parser, every subcommand's help, the dispatch and the entry point.

Private: the public API is ``import mesoreg``."""
