"""Tool `{{tool}}`: {{description}}"""

from asterbot_tool import ToolError, export, tool


@tool
def {{tool}}(text: str) -> str:
    """{{description}}"""
    if text.upper() == text.lower():
        # A ToolError (or any exception) goes back to the model as the tool's error.
        raise ToolError("`text` has no letters to upper-case")
    return text.upper()


Tools = export({{tool}})
