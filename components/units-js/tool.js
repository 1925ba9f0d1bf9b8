// Tool `convert_units`, in JavaScript: converts lengths, masses and temperatures.
import { ToolError, exportTools, tool } from "./asterbot_tool.js";

// Each unit as [quantity, factor to the base unit]; temperatures convert by formula.
const UNITS = {
  m: ["length", 1], km: ["length", 1000], mi: ["length", 1609.344], ft: ["length", 0.3048],
  kg: ["mass", 1], g: ["mass", 0.001], lb: ["mass", 0.45359237], oz: ["mass", 0.028349523125],
  C: ["temperature"], F: ["temperature"], K: ["temperature"],
};

function toCelsius(value, unit) {
  return unit === "C" ? value : unit === "F" ? (value - 32) * (5 / 9) : value - 273.15;
}

function fromCelsius(value, unit) {
  return unit === "C" ? value : unit === "F" ? value * (9 / 5) + 32 : value + 273.15;
}

/** The unit named `name`, in any case (`km`, `c`), or undefined. */
function unitNamed(name) {
  const text = String(name);
  return text in UNITS ? text : Object.keys(UNITS).find((u) => u.toLowerCase() === text.toLowerCase());
}

function convert({ value, from: fromName, to: toName }) {
  const [from, to] = [unitNamed(fromName) ?? fromName, unitNamed(toName) ?? toName];
  const [a, b] = [UNITS[from], UNITS[to]];
  if (!a || !b) {
    throw new ToolError(`unknown unit \`${a ? to : from}\`; known: ${Object.keys(UNITS).join(" ")}`);
  }
  if (a[0] !== b[0]) {
    throw new Error(`cannot convert ${a[0]} (${from}) to ${b[0]} (${to})`);
  }
  const result = a[0] === "temperature" ? fromCelsius(toCelsius(value, from), to) : (value * a[1]) / b[1];
  return `${value} ${from} = ${Number(result.toFixed(4))} ${to}`;
}

export const tools = exportTools(
  tool({
    name: "convert_units",
    description: "Converts a value between units of length (m km mi ft), mass (kg g lb oz) or temperature (C F K).",
    parameters: {
      value: { type: "number" },
      from: { type: "string", description: "the unit of `value`" },
      to: { type: "string", description: "the unit wanted" },
    },
    run: convert,
  }),
);
