"""The project's pipeline stages; importing this package registers them (see pipelines.registry)."""

from pipelines import registry

from . import chaos_bench, chaos_data, chaos_verify

for _module in (chaos_data, chaos_bench, chaos_verify):
    registry.register(_module.STAGE)
