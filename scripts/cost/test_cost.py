"""Tests of scripts/cost.py on the committed inputs (docs/cost/*.json,
contracts/stages.json): the table in docs/cost.md is what the script prints now,
its totals add up, the target ratio holds, and the figures move the way the
prices and quantities say. Run: python3 -m unittest discover -s scripts/cost
"""
import copy
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import cost  # noqa: E402


def figures(inp=None, config_text=None):
    inp = inp or cost.Inputs()
    r = cost.compute(inp, config_text)
    r["mix"] = cost.shares(inp)
    r["not_slower_than"] = inp.model["not_slower_than"]["ms"]
    return r


class CostTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = figures()

    def test_docs_cost_md_holds_the_current_output(self):
        doc = cost.DOC.read_text()
        block = doc.split(cost.BEGIN, 1)[1].split(cost.END, 1)[0].strip()
        self.assertEqual(block, cost.render(self.r).strip(),
                         "docs/cost.md is stale: run scripts/cost.py --markdown")

    def test_totals_are_the_sum_of_the_services(self):
        for name, col in self.r["stages"].items():
            self.assertAlmostEqual(col["total"], sum(col["per_million"].values()), places=9, msg=name)
        self.assertAlmostEqual(self.r["seeds"]["total"], sum(self.r["seeds"]["per_million"].values()), places=9)

    def test_prod_is_at_most_a_fifth_of_the_seeds_design(self):
        self.assertLessEqual(self.r["ratio_prod_to_seeds"], cost.TARGET_RATIO)
        self.assertEqual(self.r["ratio_prod_to_seeds"], self.r["stages"]["prod"]["total"] / self.r["seeds"]["total"])

    def test_standard_workflow_is_priced_per_transition(self):
        inp = cost.Inputs()
        mix = cost.shares(inp)
        per_transition = inp.p["sfn_standard_transition"] * 1e6
        expected = sum(share * (inp.m["outcomes"][o]["saga"]["states_entered"] + inp.m["outcomes"][o]["saga"]["retries"]) * per_transition
                       for o, share in mix.items())
        self.assertEqual(self.r["stages"]["dev"]["config"]["workflow"], "STANDARD")
        self.assertAlmostEqual(self.r["stages"]["dev"]["per_million"]["Step Functions"], expected, places=6)
        # Express is about a hundred times cheaper per order.
        self.assertLess(self.r["stages"]["prod"]["per_million"]["Step Functions"] * 50, expected)

    def test_the_chosen_memory_is_the_cheapest_that_does_not_slow_the_path(self):
        best, limit = self.r["best_memory"], self.r["not_slower_than"]
        self.assertIsNotNone(best)
        self.assertLessEqual(best["max_slowdown_ms"], limit)
        for row in self.r["memory_sweep"]:
            if row["max_slowdown_ms"] <= limit:
                self.assertGreaterEqual(row["per_million"], best["per_million"])

    def test_prod_and_staging_run_at_the_chosen_memory(self):
        stages = cost.stage_configs()
        self.assertEqual(stages["prod"]["memory_mb"], self.r["best_memory"]["memory_mb"])
        self.assertEqual(stages["staging"]["memory_mb"], stages["prod"]["memory_mb"])


class Sensitivity(unittest.TestCase):
    def test_more_write_units_cost_more_dynamodb(self):
        inp = cost.Inputs()
        base = figures(inp)["stages"]["prod"]["per_million"]["DynamoDB"]
        measured = copy.deepcopy(inp.m)
        for fns in measured["dynamodb"].values():
            for t in fns.values():
                t["write_units"] *= 2
        doubled = figures(cost.Inputs(measured=measured))["stages"]["prod"]["per_million"]["DynamoDB"]
        self.assertGreater(doubled, base * 1.5)

    def test_memory_comes_from_the_stages_contract(self):
        text = cost.STAGES_JSON.read_text()
        raw = json.loads(text)
        raw["stages"]["prod"]["lambda"]["memoryMb"] = 3008
        bigger = json.dumps(raw)
        self.assertEqual(cost.stage_configs(bigger)["prod"]["memory_mb"], 3008)
        self.assertEqual(cost.stage_configs(bigger)["staging"]["memory_mb"], cost.stage_configs(text)["staging"]["memory_mb"])
        a = figures(config_text=text)["stages"]["prod"]["per_million"]["Lambda"]
        b = figures(config_text=bigger)["stages"]["prod"]["per_million"]["Lambda"]
        self.assertGreater(b, a)

    def test_architecture_comes_from_the_stages_contract(self):
        text = cost.STAGES_JSON.read_text()
        raw = json.loads(text)
        self.assertEqual(cost.stage_configs(text)["prod"]["architecture"], "arm64")
        raw["stages"]["prod"]["lambda"]["architecture"] = "x86_64"
        x86 = json.dumps(raw)
        a = figures(config_text=text)["stages"]["prod"]["per_million"]["Lambda"]
        b = figures(config_text=x86)["stages"]["prod"]["per_million"]["Lambda"]
        # x86_64 costs more per GB-second than arm64.
        self.assertGreater(b, a)

    def test_the_workflow_comes_from_the_stages_contract(self):
        stages = cost.stage_configs()
        raw = json.loads(cost.STAGES_JSON.read_text())
        for name, st in stages.items():
            self.assertEqual(st["workflow"], raw["stages"][name]["workflow"]["type"], name)
            self.assertEqual(st["sfn_log_all"], raw["stages"][name]["workflow"]["logLevel"] == "ALL", name)

    def test_a_price_change_moves_its_line_only(self):
        prices = json.loads((cost.COST_DIR / "prices.json").read_text())
        base = figures()["stages"]["prod"]["per_million"]
        prices["prices"]["apigw_rest_request"]["usd"] *= 2
        moved = figures(cost.Inputs(prices=prices))["stages"]["prod"]["per_million"]
        self.assertAlmostEqual(moved["API Gateway REST"], 2 * base["API Gateway REST"], places=9)
        for s in cost.SERVICES:
            if s != "API Gateway REST":
                self.assertAlmostEqual(moved[s], base[s], places=9, msg=s)

    def test_duration_scales_with_cpu_share_below_a_full_vcpu(self):
        self.assertAlmostEqual(cost.duration_ms(1.0, 1769 / 4, 1769, 10.0), 14.0)
        self.assertAlmostEqual(cost.duration_ms(1.0, 3538, 1769, 10.0), 11.0)

    def test_the_seeds_node_cpu_is_the_peers_measured_figure(self):
        def cold_starts(warm_cpu_ms):
            return {"source": "test", "profiles": [{"profile": "full CPU", "functions": [
                {"name": "node22-create-order", "warm_cpu_ms": {"median": warm_cpu_ms}}]}]}
        model = cost.load("model.json")
        mem, full = model["seeds"]["memory_mb"], model["full_vcpu_mb"]["value"]
        measured = figures(cost.Inputs(cold_starts=cold_starts(2.0)))["seeds"]
        self.assertEqual(measured["node_cpu"], (2.0, "test"))
        calls = sum(n * model["round_trip_ms"][svc] for svc, n in model["seeds"]["functions"]["create-order"]["calls"].items())
        self.assertAlmostEqual(measured["durations_ms"]["create-order"], 2.0 * full / mem + calls)
        slower = figures(cost.Inputs(cold_starts=cold_starts(8.0)))["seeds"]
        self.assertGreater(slower["per_million"]["Lambda"], measured["per_million"]["Lambda"])
        # Without a measured figure (no file, or no warm CPU in it): model.json's assumption at 1,024 MB.
        for none in ({}, {"source": "old", "profiles": [{"profile": "full CPU", "functions": [{"name": "node22-create-order"}]}]}):
            assumed = figures(cost.Inputs(cold_starts=none))["seeds"]
            self.assertIsNone(assumed["node_cpu"])
            self.assertAlmostEqual(assumed["durations_ms"]["create-order"],
                                   model["seeds"]["functions"]["create-order"]["cpu_ms"] + calls)


if __name__ == "__main__":
    unittest.main()
