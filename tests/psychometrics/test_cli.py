"""The command line: estimate and simulate, human and --json output."""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

from langcert.psychometrics.cli import main
from langcert.psychometrics.estimation import eap, mle


def test_estimate_json(monkeypatch, capsys) -> None:
    data = {"items": [{"a": 1.0, "b": 0.0, "c": 0.0}, {"a": 1.5, "b": 1.0, "c": 0.2},
                      {"a": 0.8, "b": -1.0}], "responses": [1, 0, 1]}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(data)))
    assert main(["estimate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"eap", "map", "mle", "wle"}
    a, b, c = np.array([1.0, 1.5, 0.8]), np.array([0.0, 1.0, -1.0]), np.array([0, 0.2, 0])
    assert out["eap"]["theta"] == pytest.approx(eap([1, 0, 1], a, b, c).theta)
    assert out["mle"]["se"] == pytest.approx(mle([1, 0, 1], a, b, c).se)


def test_simulate_json_small(capsys) -> None:
    assert main(["simulate", "--examinees", "300", "--items", "120", "--skills", "2",
                 "--cal-rounds", "2", "--cal-examinees", "300", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["skills"]) == {"reading", "listening"}
    # The default design: lookahead with exposure prices computed by simulation.
    assert out["config"]["design"] == "recommended"
    assert out["config"]["exposure_control"] == "prices"
    assert out["config"]["lookahead_candidates"] == 24 and out["config"]["jitter"] == 0.05
    for m in out["skills"].values():
        assert set(m) >= {"rmse", "bias", "mean_se", "exact_band", "within_one_band",
                          "max_exposure", "mean_exposure"}
        assert 0 <= m["exact_band"] <= 1 and 0 <= m["max_exposure"] <= 1


def test_simulate_table_with_content_and_plots(tmp_path, capsys) -> None:
    assert main(["simulate", "--examinees", "200", "--items", "90", "--skills", "1",
                 "--no-exposure", "--types", "2", "--quota", "6", "4", "--enemy-sets", "10",
                 "--pretest", "10", "--pretest-positions", "4", "--plots", str(tmp_path),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "exact_band" in out and "reading" in out
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["conditional_se.png", "exposure_histogram.png", "test_information.png",
                     "theta_recovery.png"]


def test_simulate_json_with_the_lookahead_design(capsys) -> None:
    assert main(["simulate", "--examinees", "200", "--items", "120", "--skills", "2",
                 "--design", "lookahead", "--cal-rounds", "2", "--cal-examinees", "200",
                 "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["design"] == "lookahead"
    assert out["config"]["lookahead_candidates"] == 16
    for m in out["skills"].values():
        assert 0.4 < m["exact_band"] <= 1 and m["within_one_band"] > 0.9


def test_simulate_saves_the_prices_with_the_bank_and_reuses_them(tmp_path, capsys) -> None:
    bank = tmp_path / "bank.json"
    args = ["simulate", "--examinees", "200", "--items", "80", "--skills", "1", "--json",
            "--quiet"]
    assert main([*args, "--cal-rounds", "3", "--cal-examinees", "200",
                 "--save-bank", str(bank)]) == 0
    first = json.loads(capsys.readouterr().out)
    saved = json.loads(bank.read_text())["skills"][0]["exposure_price"]
    assert len(saved) == 80 and max(saved) > 0
    # Loaded from the file: no calibration, same prices, same figures for the same seed.
    assert main([*args, "--bank", str(bank)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert "exposure_calibration_s" not in again["timing"]
    assert again["skills"] == first["skills"]
