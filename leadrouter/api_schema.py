"""Post-processing of the OpenAPI schema: document the error answers every operation can
give, so generated clients know them (401 without a key, 429 over the rate limit, 404 for
an object that is not yours)."""

ERROR_REF = {"$ref": "#/components/schemas/ApiErrorOutput"}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {
            "type": "array", "items": {"type": "string"}}},
    }, "required": ["code", "message", "fields"]}},
    "required": ["error"],
}
DESCRIPTIONS = {
    "401": "No API key, or an invalid or revoked one.",
    "404": "No such object in your tenant (or for your partner).",
    "429": "Rate limit of your API key exceeded; see the Retry-After header.",
}


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ApiErrorOutput", ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            needed = ["401", "429"] + (["404"] if "{" in path else [])
            for status in needed:
                operation["responses"].setdefault(status, {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": ERROR_REF}},
                })
    return result
