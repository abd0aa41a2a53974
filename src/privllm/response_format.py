"""OpenAI's ``response_format`` dicts, for JSON answers without a pydantic model class.

A model class (``response_format=Invoice``) stays the way to get a parsed object back;
these are for callers who hold OpenAI's dicts already.

>>> ResponseFormat.model_validate(
...     {"type": "json_schema", "json_schema": {"name": "Invoice", "schema": {"type": "object"}}}
... ).wire()["json_schema"]["schema"]
{'type': 'object'}
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from privllm.input_errors import InputModel, refuse

__all__ = ["JsonSchemaFormat", "ResponseFormat"]


class JsonSchemaFormat(InputModel):
    """OpenAI's ``json_schema`` object: ``{"name", "description"?, "schema"?, "strict"?}``."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)
    _what: ClassVar[str] = "json_schema"

    name: str
    description: str | None = None
    #: The JSON schema (``"schema"`` on the wire; the Python name avoids pydantic's own).
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormat(InputModel):
    """JSON output without a pydantic model, in OpenAI's shape: ``{"type": "json_object"}``
    or ``{"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}``.

    Sent as given to OpenAI and Azure; to Gemini as ``responseMimeType: application/json``
    plus the schema, if any. The answer's JSON is in ``.text`` (``.parsed`` is for a model
    class).

    >>> ResponseFormat.model_validate({"type": "json_object"}).type
    'json_object'
    """

    _what: ClassVar[str] = "response_format"

    type: Literal["json_object", "json_schema"]
    json_schema: JsonSchemaFormat | None = None

    @model_validator(mode="after")
    def _schema_with_its_type(self) -> ResponseFormat:
        if (self.type == "json_schema") != (self.json_schema is not None):
            raise refuse("json_schema is required with type 'json_schema', and only with it")
        return self

    def wire(self) -> dict[str, Any]:
        """OpenAI's ``response_format`` object."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
