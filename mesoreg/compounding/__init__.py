"""Compounding: from stock products to a formulation draft, and beyond-use dates.

Private modules, one job each: :mod:`._products` (stock products and the
built-in list), :mod:`._compose` (volumes to draw, rounded to the syringe's
graduations, and the formulation draft), :mod:`._bud` (the USP <797>
beyond-use date category rule), :mod:`._cli` (the ``compose`` and ``bud``
commands), :mod:`._record_model` (the master formulation record of a stored
version, as data), :mod:`._label` (syringe labels, as data), :mod:`._html` and
:mod:`._pdf` (both as HTML and, with ReportLab, PDF), :mod:`._record_cli` (the
``mfr`` and ``label`` commands), :mod:`._batch` (the compounding record of a preparation
and its acknowledged findings), :mod:`._batch_args` and :mod:`._batch_cli` (the
``compound`` and ``records`` commands), :mod:`._api` (the Python API of each step,
exported lazily from ``mesoreg``).  This subpackage imports from the rest of
mesoreg; nothing else in mesoreg imports it except the command-line wiring and the lazy
names of ``mesoreg/__init__.py``.
"""
