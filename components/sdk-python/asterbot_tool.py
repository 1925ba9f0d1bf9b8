"""Write an asterbot tool in Python as plain functions.

    from asterbot_tool import tool, export

    @tool
    def shout(text: str) -> str:
        '''Upper-cases the text.'''
        return text.upper()

    Tools = export(shout)

`componentize-py -d wit -w tool componentize app -o shout.wasm` builds the
module that defines `Tools` into a component of the `asterbot:agent/tool`
world. The parameters' schema comes from the type hints, the description
from the docstring. Whatever the function raises goes back to the model as
the tool's error, so an exception never ends the turn: raise `ToolError`
for a message of your own.
"""

import inspect
import json
import types
import typing

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports.types import ToolSpec

__all__ = ["ToolError", "Tool", "tool", "export"]


class ToolError(Exception):
    """An error the model is told, as it is."""


_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _is_json_type(value, expected):
    """Whether a decoded JSON value is of the JSON Schema type `expected`."""
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    return True


def _schema(hint):
    """JSON Schema of one parameter's type hint."""
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (list, tuple):
        return {"type": "array", "items": _schema(arguments[0]) if arguments else {}}
    if origin is dict or hint is dict:
        return {"type": "object"}
    if origin in (typing.Union, types.UnionType):
        present = [a for a in arguments if a is not type(None)]
        if len(present) == 1:
            return _schema(present[0])
    if origin is typing.Literal:
        return {"enum": list(arguments)}
    return {}


class Tool:
    """One tool: a function, and what the model is told about it."""

    def __init__(self, function, name=None, description=None):
        self.function = function
        self.name = name or function.__name__
        self.description = (description or inspect.getdoc(function) or self.name).strip()
        hints = typing.get_type_hints(function)
        properties, required = {}, []
        for parameter in inspect.signature(function).parameters.values():
            properties[parameter.name] = _schema(hints.get(parameter.name))
            if parameter.default is inspect.Parameter.empty:
                required.append(parameter.name)
        self.parameters = {"type": "object", "properties": properties, "required": required}

    def __call__(self, *args, **kwargs):
        """Calls the function itself, as a test would."""
        return self.function(*args, **kwargs)

    def spec(self):
        """The tool as the model sees it."""
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=json.dumps(self.parameters),
        )

    def run(self, arguments):
        """Runs the function on the model's JSON arguments; any error is text."""
        try:
            decoded = json.loads(arguments) if arguments.strip() else {}
        except ValueError as error:
            raise ToolError(f"invalid arguments for tool `{self.name}`: {error}")
        if not isinstance(decoded, dict):
            raise ToolError(f"invalid arguments for tool `{self.name}`: expected a JSON object")
        missing = [p for p in self.parameters["required"] if p not in decoded]
        if missing:
            raise ToolError(
                f"invalid arguments for tool `{self.name}`: missing {', '.join(missing)}; "
                f"expected JSON matching {json.dumps(self.parameters)}"
            )
        unknown = [a for a in decoded if a not in self.parameters["properties"]]
        if unknown:
            raise ToolError(f"invalid arguments for tool `{self.name}`: unknown {', '.join(unknown)}")
        for argument, value in decoded.items():
            expected = self.parameters["properties"][argument].get("type")
            if expected and not _is_json_type(value, expected):
                raise ToolError(
                    f"invalid arguments for tool `{self.name}`: `{argument}` must be "
                    f"of type {expected}, not {json.dumps(value)}"
                )
        result = self.function(**decoded)
        return result if isinstance(result, str) else json.dumps(result)


def tool(function=None, *, name=None, description=None):
    """Makes a function a tool: `@tool`, or `@tool(name="...")`."""
    if function is None:
        return lambda f: Tool(f, name, description)
    return Tool(function, name, description)


def export(*tools):
    """The `Tools` class componentize-py exports: these tools, listed and called.

    A call's exception, whatever it is, becomes the call's error result."""
    by_name = {t.name: t for t in tools}

    class Tools(exports.Tools):
        def list(self):
            return [t.spec() for t in tools]

        def call(self, name, arguments):
            chosen = by_name.get(name)
            if chosen is None:
                raise Err(
                    f"unknown tool `{name}`: no tool of that name is installed; "
                    "use one of the listed tools"
                )
            try:
                return chosen.run(arguments)
            except ToolError as error:
                raise Err(str(error))
            except Exception as error:
                raise Err(f"tool `{name}` failed: {type(error).__name__}: {error}")

    return Tools
