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


def load_yaml(text: str, source: str, line_offset: int = 0):  # noqa: ANN201 - (yaml.Node | None, object)
    """Parse one YAML document once (libyaml when available) and return
    ``(node, data)``: the node tree keeps positions for error messages
    (:func:`yaml_node_at`), ``data`` is the plain value. ``line_offset`` is the
    number of lines of the file before ``text`` (front matter starts below a
    ``---`` line). Raises :class:`UsageError` naming ``source`` with the 1-based
    line and column of a YAML error."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise UsageError(yaml_problem(exc, line_offset), source, mark.line + 1 + line_offset if mark else None,
                         mark.column + 1 if mark else None) from None
    finally:
        loader.dispose()
    return node, data


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


def yaml_data(text: str):  # noqa: ANN201 - whatever the document holds
    """The data of one YAML document (``yaml.safe_load``'s answer), parsed by
    LibYAML when PyYAML has it (front matter of forty prompty files: 0.29 s in
    the pure-Python loader). A document LibYAML refuses is loaded again by the
    pure-Python loader, so an error and its mark are always PyYAML's own.
    Raises ``yaml.YAMLError`` as ``yaml.safe_load`` does."""
    import yaml

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def yaml_problem(exc, line_offset: int = 0) -> str:  # noqa: ANN001 - a yaml.MarkedYAMLError
    """One line for a PyYAML parse error: ``invalid YAML: <problem>``, and where
    PyYAML names what it was reading when it failed ("while scanning a quoted
    scalar") somewhere else than the problem's position, that too, with its
    1-based line and column (``line_offset`` added to the line: the YAML's first
    line in its file)."""
    out = f"invalid YAML: {exc.problem}"
    ctx, at, where = exc.context, exc.context_mark, exc.problem_mark
    if ctx and at is not None and (where is None or (at.line, at.column) != (where.line, where.column)):
        out += f" ({ctx} that starts at line {at.line + 1 + line_offset}, column {at.column + 1})"
    return out
