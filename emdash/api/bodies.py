"""The base of every request body the API accepts."""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

NULL = {"type": "null"}


def _document_refused_nulls(schema: dict[str, Any], model: type["Body"]) -> None:
    """Optional properties are typed ``X | None`` (None is "left out"); drop the
    null from the published schema where the API refuses an explicit null."""
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [])
        if name in model.nullable or NULL not in options:
            continue
        del prop["anyOf"]
        rest = [option for option in options if option != NULL]
        if len(rest) == 1:
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest


class Body(BaseModel):
    """A JSON object with known properties only. A property is either sent with a
    value or left out: an explicit null is refused, except for the properties in
    ``nullable``, where null means "none" (no parent, no default, no expiry)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_document_refused_nulls)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("must not be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The properties the caller sent, as the plain dict services take."""
        return self.model_dump(exclude_unset=True)
