"""pytest's and unittest's authoring vocabulary, understood natively.

dbtest never imports pytest and runs none of its hooks. When a test module
imported pytest itself, its decorators leave facts on the objects (marks on
``pytestmark``, fixture definitions); the modules here read those facts,
duck-typed, and translate them into dbtest's own model: ``marks`` (skip,
skipif, xfail, parametrize with pytest's ids, usefixtures, custom marks as
tags), ``outcomes`` (``pytest.skip()``/``fail()``/``xfail()``), ``ids``
(pytest's parametrize ids).
"""
