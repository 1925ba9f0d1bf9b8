// Tests of the tool as plain JavaScript: `node --test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tools } from "./tool.js";

test("it answers", () => {
  assert.equal(tools.call("{{tool}}", JSON.stringify({ text: "hi" })), "HI");
});

test("an error is a value", () => {
  assert.throws(() => tools.call("{{tool}}", JSON.stringify({ text: "" })), (e) => e === "`text` has no letters to upper-case");
});
