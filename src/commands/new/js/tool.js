// Tool `{{tool}}`: {{description}}
import { ToolError, exportTools, tool } from "./asterbot_tool.js";

export const tools = exportTools(
  tool({
    name: "{{tool}}",
    description: "{{description}}",
    parameters: { text: { type: "string", description: "The text to work on." } },
    run({ text }) {
      if (text.toUpperCase() === text.toLowerCase()) {
        // A ToolError (or anything thrown) goes back to the model as the tool's error.
        throw new ToolError("`text` has no letters to upper-case");
      }
      return text.toUpperCase();
    },
  }),
);
