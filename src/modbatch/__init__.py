"""modbatch: a Camunda 7 compatible server for process instance modification in batches."""

__version__ = "0.1.0"
