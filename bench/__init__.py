"""pkh-casework benchmarks (issue 8): `python -m bench [--quick] [--out FILE] [--only NAME]`.

Not part of the product and not run by `.ci/run` or pytest; see bench/README.md.
"""
