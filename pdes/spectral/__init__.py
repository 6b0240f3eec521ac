"""Fourier pseudo-spectral tools for periodic 1-D problems: grids and derivatives
(:mod:`pdes.spectral.fourier`) and the ETDRK4 time stepper (:mod:`pdes.spectral.etdrk4`)."""

from .etdrk4 import Etdrk4Coefficients, etdrk4_coefficients, etdrk4_integrate, etdrk4_step
from .fourier import dealias_mask, derivative, grid, wavenumbers

__all__ = [
    "Etdrk4Coefficients",
    "dealias_mask",
    "derivative",
    "etdrk4_coefficients",
    "etdrk4_integrate",
    "etdrk4_step",
    "grid",
    "wavenumbers",
]
