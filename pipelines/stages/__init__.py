"""The project's pipeline stages; importing this package registers them (see pipelines.registry)."""

from pipelines import registry

from . import chaos_bench, chaos_data, chaos_verify, operator_bench, operator_train, pdes_bench, pdes_data, pdes_references, pinn_bench, pinn_train

for _module in (chaos_data, chaos_bench, chaos_verify, pdes_references, pdes_data, pdes_bench, operator_train, operator_bench, pinn_train, pinn_bench):
    registry.register(_module.STAGE)
