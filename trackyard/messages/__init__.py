"""Typed messages: MLflow's protobuf messages as msgspec Structs.

Requests decode straight into these types (validation of JSON types included), and the store
returns entities of these types, so a response is encoded without intermediate dicts.
Field names and nesting follow MLflow's service.proto; optional fields default to `None` and
are omitted when unset, which is how proto2 JSON looks on the wire.
"""
