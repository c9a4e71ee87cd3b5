"""Test support for formcheck, kept out of the runtime package.

:mod:`formcheck_testing.synthetic` scripts bodies doing each exercise (exact joint angles at
known times) and turns them into pose traces, so checkers can be tested with exact
expectations and benchmarks can build long sessions. It is installed with formcheck so that
the tests, the benchmarks and authors of their own exercise files can use it; formcheck itself
never imports it (a test checks the import graph).
"""
