"""Strict JSON serializer fields: the API takes what its schema says and nothing looser.

DRF's defaults coerce ("1" and 0 become booleans, 5 becomes "5"); a clinic API should refuse
them with a 400 naming the field, as the OpenAPI schema promises.
"""

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if type(data) is not bool:
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be text."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
