"""Admission: untrusted Python source becomes the trusted pointwise IR, or a reason."""

from .admission import Admission, AdmissionConfig, admit
from .ir import ActivationIR
from .reasons import Category

__all__ = ["ActivationIR", "Admission", "AdmissionConfig", "Category", "admit"]
