"""The project's pipeline stages; importing this package registers them (see pipelines.registry)."""

from pipelines import registry

from . import chaos_data

registry.register(chaos_data.STAGE)
