"""The benchmark still works (N = 1,000, a few requests). Not a timed test: the
figures are checked for being there and plausible, never against a limit."""

from __future__ import annotations

import json

from bench.run import CHANGE, OPERATIONS, READ, main, table


def test_benchmark_runs_at_1000_and_writes_every_figure(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["--sizes", "1000", "--requests", "5", "--warmup", "1", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    size = results["sizes"]["1000"]
    assert set(size["ops"]) == {name for name, *_ in OPERATIONS}
    for name, figures in size["ops"].items():
        assert figures["n"] == 5, name
        assert 0 < figures["p50"] <= figures["p95"] <= figures["p99"], name
        if figures["kind"] in (READ, CHANGE):
            assert figures["x_floor"] > 0, name
    assert size["import_per_s"] > 0
    assert size["db_bytes"] > 100_000  # 1,000 numbers with addresses, groups, audit
    assert size["db_bytes_after"] > size["db_bytes"]  # the changes were written
    assert size["floor_write"]["p50"] > 0
    assert 0 < size["cold_start_s"] < 60
    assert size["peak_rss_mb"] > 10
    assert results["machine"]["nproc"] >= 1
    printed = capsys.readouterr().out
    assert "list_attention" in printed and "floor (b)" in printed
    assert "| /numbers list attention" in table(results, markdown=True)
