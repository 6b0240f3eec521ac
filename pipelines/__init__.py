"""Pipelines: the command line, stage configs, the data contract, benchmarks and the report.

Run ``python -m pipelines --help`` for the stages. Importing this package is
cheap: it does not import JAX.
"""
