"""The shipped definitions (YAML files beside this module)."""

from importlib.resources import files


def shipped_sources() -> list[tuple[str, str]]:
    """(file name, text) of every shipped definition, for a DefinitionSet."""
    folder = files(__name__)
    return sorted(
        (f"definitions/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )
