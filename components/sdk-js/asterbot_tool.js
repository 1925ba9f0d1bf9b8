// Write an asterbot tool in JavaScript as plain functions.
//
//     import { tool, exportTools } from "./asterbot_tool.js";
//
//     export const tools = exportTools(
//       tool({
//         name: "shout",
//         description: "Upper-cases the text.",
//         parameters: { text: { type: "string" } },
//         run: ({ text }) => text.toUpperCase(),
//       }),
//     );
//
// `node build.mjs tool.js -o shout.wasm` builds it into a component of the
// `asterbot:agent/tool` world. Whatever a tool throws goes back to the model
// as the tool's error, so a thrown Error never ends the turn.

/** An error the model is told, as it is. */
export class ToolError extends Error {}

/**
 * One tool. `parameters` maps each argument to its JSON Schema; all are
 * required unless listed in `optional`.
 */
export function tool({ name, description, parameters = {}, optional = [], run }) {
  if (typeof name !== "string" || typeof run !== "function") {
    throw new TypeError("a tool needs a `name` and a `run` function");
  }
  const schema = {
    type: "object",
    properties: parameters,
    required: Object.keys(parameters).filter((p) => !optional.includes(p)),
  };
  return { name, description: description ?? name, schema, run };
}

/** The message of anything thrown. */
function messageOf(error) {
  if (error instanceof ToolError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Decodes the model's JSON arguments for `chosen`, or throws a ToolError. */
function decode(chosen, text) {
  let args;
  try {
    args = text.trim() === "" ? {} : JSON.parse(text);
  } catch (error) {
    throw new ToolError(`invalid arguments for tool \`${chosen.name}\`: ${error.message}`);
  }
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    throw new ToolError(`invalid arguments for tool \`${chosen.name}\`: expected a JSON object`);
  }
  const missing = chosen.schema.required.filter((p) => !(p in args));
  if (missing.length > 0) {
    throw new ToolError(
      `invalid arguments for tool \`${chosen.name}\`: missing ${missing.join(", ")}; ` +
        `expected JSON matching ${JSON.stringify(chosen.schema)}`,
    );
  }
  for (const [name, value] of Object.entries(args)) {
    const expected = chosen.schema.properties[name]?.type;
    if (expected !== undefined && !isJsonType(value, expected)) {
      throw new ToolError(
        `invalid arguments for tool \`${chosen.name}\`: \`${name}\` must be of type ${expected}, not ${JSON.stringify(value)}`,
      );
    }
  }
  return args;
}

/** Whether `value` is of the JSON Schema type `expected`. */
function isJsonType(value, expected) {
  switch (expected) {
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number";
    case "integer":
      return Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return true;
  }
}

/**
 * The `tools` export of the `asterbot:agent/tool` world: these tools, listed
 * and called. A call's error, thrown or returned, becomes its error result.
 */
export function exportTools(...tools) {
  const byName = new Map(tools.map((t) => [t.name, t]));
  return {
    list() {
      return tools.map((t) => ({
        name: t.name,
        description: t.description,
        parameters: JSON.stringify(t.schema),
      }));
    },
    call(name, text) {
      const chosen = byName.get(name);
      if (chosen === undefined) {
        throw `unknown tool \`${name}\`: no tool of that name is installed; use one of the listed tools`;
      }
      try {
        const result = chosen.run(decode(chosen, text));
        return typeof result === "string" ? result : JSON.stringify(result);
      } catch (error) {
        // componentize-js turns a thrown string into the `err` case;
        // anything else would trap and end the turn.
        throw error instanceof ToolError ? error.message : `tool \`${name}\` failed: ${messageOf(error)}`;
      }
    },
  };
}
