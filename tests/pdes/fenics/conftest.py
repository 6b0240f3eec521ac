"""Shared checks of the FEniCS data sets' samples."""

import numpy as np
import pytest


@pytest.fixture
def point_reads_suffice():
    """``check(name, ds)``: the point-cloud samples made from ``point_reads(name, ds)`` (the slim
    copy carried to other machines) equal those made from the whole piece."""
    from sciml.operators import data

    def check(name, ds):
        reads = data.point_reads(name, ds)
        assert len(reads.data_vars) < len(ds.data_vars)
        whole, slim = data.point_samples(name, [ds]), data.point_samples(name, [reads])
        for field in ("points", "mask", "x", "y"):
            np.testing.assert_array_equal(getattr(slim, field), getattr(whole, field))
        np.testing.assert_array_equal(slim.cells[0], whole.cells[0])

    return check
