"""Compounding: from stock products to a formulation draft, and beyond-use dates.

Private modules, one job each: :mod:`._products` (stock products and the
built-in list), :mod:`._compose` (volumes to draw, rounded to the syringe's
graduations, and the formulation draft), :mod:`._bud` (the USP <797>
beyond-use date category rule), :mod:`._cli` (the ``compose`` and ``bud``
commands).  This subpackage imports from the rest of mesoreg; nothing else in
mesoreg imports it except the command-line wiring.
"""
