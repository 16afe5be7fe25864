"""The pipe runner's filtering and rendering (pipe_rules.py) on the shared
cases (pipe-cases.json), which cdk/test/pipe-cases.test.ts also runs through
cdk/test/stream-records.ts, a second implementation.

    .venv/bin/python -m unittest discover -s scripts/emulator
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pipe_rules import PipeError, matches, passes, render  # noqa: E402

with open(os.path.join(HERE, "pipe-cases.json")) as f:
    CASES = json.load(f)


class SharedCases(unittest.TestCase):
    def test_every_case_through_both_pipes(self):
        for case in CASES["cases"]:
            for pipe, want in case["expect"].items():
                d = CASES["pipes"][pipe]
                with self.subTest(case=case["name"], pipe=pipe):
                    got = passes([d["filter"]], case["record"])
                    self.assertEqual(got, want["passes"])
                    if got:
                        self.assertEqual(render(d["template"], case["record"]), want["message"])

    def test_the_templates_are_the_contract_files(self):
        root = os.path.dirname(os.path.dirname(HERE))
        for d in CASES["pipes"].values():
            with open(os.path.join(root, d["templateFile"])) as f:
                self.assertEqual(f.read().strip(), d["template"])


class Rules(unittest.TestCase):
    def test_filters_are_alternatives_and_none_passes_everything(self):
        self.assertTrue(passes([], {"a": 1}))
        self.assertTrue(passes([{"a": [2]}, {"a": [1]}], {"a": 1}))
        self.assertFalse(passes([{"a": [2]}], {"a": 1}))

    def test_exists_is_about_leaves(self):
        self.assertTrue(matches({"a": [{"exists": False}]}, {}))
        self.assertTrue(matches({"a": [{"exists": True}]}, {"a": "x"}))
        self.assertFalse(matches({"a": [{"exists": True}]}, {"a": {"b": 1}}))

    def test_prefix_anything_but_and_arrays_in_the_event(self):
        self.assertTrue(matches({"a": [{"prefix": "OR"}]}, {"a": "ORDER"}))
        self.assertTrue(matches({"a": [{"anything-but": ["X"]}]}, {"a": "Y"}))
        self.assertFalse(matches({"a": [{"anything-but": "Y"}]}, {"a": "Y"}))
        self.assertTrue(matches({"a": ["y"]}, {"a": ["x", "y"]}))

    def test_an_unknown_operator_fails_loudly(self):
        with self.assertRaises(PipeError):
            matches({"a": [{"numeric": [">", 1]}]}, {"a": 2})

    def test_rendering(self):
        e = {"a": {"S": "x"}, "n": {"N": "3"}, "m": {"k": [1]}}
        self.assertEqual(render('{"s":"<$.a.S>","n":<$.n.N>,"m":<$.m>}', e), '{"s":"x","n":3,"m":{"k":[1]}}')
        self.assertEqual(render(None, {"a": 1}), '{"a":1}')
        with self.assertRaises(PipeError):
            render("<$.b>", e)


if __name__ == "__main__":
    unittest.main()
