"""Values a hostile or careless client sends, shared by the walks over every API (the REST
API's in treatments/tests/test_hostile_api.py, FHIR's search in treatments/exchange): in the
lowest layer, so any package's tests may use it."""

# What a hostile or careless client sends in a field or a query parameter.
HOSTILE: dict[str, object] = {
    "nul": "ab\x00c",
    "long": "x" * 10_000,
    "nan-text": "NaN",
    "infinity-text": "-Infinity",
    "huge-int": 2**70,
    "negative": -1,
    "fraction": 1.5,
    "year-1": "0001-01-01T00:00:00Z",
    "year-9999": "9999-12-31T23:00:00Z",
    "year-9999-west": "9999-12-31T23:59:59-12:00",
    "date-1": "0001-01-01",
    "date-9999": "9999-12-31",
    "feb-30": "2027-02-30",
    "spring-gap-naive": "2026-03-29T01:30:00",
    "spring-gap-utc": "2026-03-29T01:30:00+00:00",
    "list": ["a", None, 3],
    "object": {"a": {"b": []}},
    "null": None,
    "bool": True,
}
