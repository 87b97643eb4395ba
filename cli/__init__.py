"""The ``lakehouse`` command line: the top layer, one module per command group, over orchestration and services."""
