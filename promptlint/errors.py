"""Errors that stop a run with exit code 2, each naming a file and position."""

from __future__ import annotations


class UsageError(Exception):
    """Bad input from the user: a config key, a rule pack, a path, a flag.

    Rendered as one line ``path:line:column: message`` (position parts left
    out when unknown). The CLI turns it into exit code 2.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line:
                where += f":{self.line}"
                if self.column:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


def yaml_node_at(root, path) -> object:  # noqa: ANN001 - yaml.Node
    """Follow ``path`` (keys and indices, as in ``jsonschema`` errors) from a
    PyYAML ``root`` node; return the deepest node reached."""
    node = root
    for key in path:
        value = getattr(node, "value", None)
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            nxt = None
            for k, v in value:
                if getattr(k, "value", None) == key:
                    nxt = v
                    break
            if nxt is None:
                break
            node = nxt
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            node = value[key]
        else:
            break
    return node


def schema_error_message(error) -> str:  # noqa: ANN001 - jsonschema.ValidationError
    """A message a person can act on, from a ``jsonschema`` error (not a raw
    ``oneOf`` dump): the best-matching sub-error, with its location."""
    from jsonschema.exceptions import best_match

    err = best_match([error]) if error.context else error
    where = ".".join(str(p) for p in err.absolute_path)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}" + (f" in `{where}`" if where else "")
    return (f"`{where}`: " if where else "") + err.message
