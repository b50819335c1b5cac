"""The numbers and sentences the book's chapters state, computed from the run records and tables and tested: a
chapter's prose cells only format what these functions return.

One module per chapter family: :mod:`.answers` (the landing page, the ablations and the comparison: who wins,
paired by seed), :mod:`.twins` (paper vs twin, what a twin can show), :mod:`.theory` (Theorem 1 on a twin) and
:mod:`.idcl` (the IDCL chapter); :mod:`.common` holds the verdict on a paired difference.
"""
from .answers import *  # noqa: F401,F403
from .answers import __all__ as _answers
from .common import verdict
from .idcl import *  # noqa: F401,F403
from .idcl import __all__ as _idcl
from .theory import *  # noqa: F401,F403
from .theory import __all__ as _theory
from .twins import *  # noqa: F401,F403
from .twins import __all__ as _twins

__all__ = ["verdict", *_answers, *_twins, *_theory, *_idcl]
