"""The benchmark: the cost of every Slack interaction as the inventory grows.

``python -m bench.run`` (see README, "Benchmark"). Not part of the test suite;
tests/reliability/test_bench_smoke.py runs it at N = 1,000 with a few requests.
"""
