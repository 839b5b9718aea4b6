"""The schema is a contract: the committed SDL matches the code, and the example operations are valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from hub.api.graphql.schema import export_sdl

ROOT = Path(__file__).resolve().parent.parent
SDL = ROOT / "graphql" / "schema.graphql"
OPERATIONS = sorted((ROOT / "graphql" / "operations").glob("*.graphql"))


def test_committed_schema_matches_the_code() -> None:
    assert SDL.read_text() == export_sdl(), (
        "graphql/schema.graphql is out of date: run "
        "'python -m hub.api.graphql.schema > graphql/schema.graphql' and review the diff"
    )


def test_every_kind_of_user_has_example_operations() -> None:
    names = {path.stem for path in OPERATIONS}
    assert {"admin", "forwarder", "seller", "bank", "port_operator", "customs", "regulator"} <= names


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.stem)
def test_example_operations_validate_against_the_schema(path: Path) -> None:
    schema = build_schema(SDL.read_text())
    document = parse(path.read_text())
    errors = validate(schema, document)
    assert errors == [], [e.message for e in errors]
    assert document.definitions, f"{path.name} holds no operation"
