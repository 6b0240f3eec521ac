"""The project's pipeline stages; importing this package registers them (see pipelines.registry)."""

from pipelines import registry

from . import (
    chaos_bench,
    chaos_data,
    chaos_verify,
    closure_eval,
    closure_train,
    dsr_bench,
    dsr_train,
    export,
    l96_bench,
    l96_data,
    operator_bench,
    operator_train,
    pdes_bench,
    pdes_data,
    pdes_references,
    pinn_bench,
    pinn_train,
    reservoir_train,
)

for _module in (
    chaos_data, chaos_bench, chaos_verify,
    pdes_references, pdes_data, pdes_bench,
    operator_train, operator_bench,
    pinn_train, pinn_bench,
    reservoir_train, dsr_train, dsr_bench,
    l96_data, closure_train, closure_eval, l96_bench, export,
):
    registry.register(_module.STAGE)
