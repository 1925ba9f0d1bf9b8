"""Tests of the tool as plain Python (run `componentize-py -d wit -w tool bindings .` once first)."""

import json
import unittest

import app


class ToolTest(unittest.TestCase):
    def test_it_answers(self):
        self.assertEqual(app.{{tool}}("hi"), "HI")

    def test_a_call_through_the_export(self):
        self.assertEqual(app.Tools().call("{{tool}}", json.dumps({"text": "hi"})), "HI")

    def test_an_error_is_a_value(self):
        from componentize_py_types import Err

        with self.assertRaises(Err) as raised:
            app.Tools().call("{{tool}}", json.dumps({"text": ""}))
        self.assertEqual(raised.exception.value, "`text` has no letters to upper-case")


if __name__ == "__main__":
    unittest.main()
