"""The project's pipeline stages; importing this package registers them (see pipelines.registry)."""

from pipelines import registry

from . import chaos_bench, chaos_data

for _module in (chaos_data, chaos_bench):
    registry.register(_module.STAGE)
