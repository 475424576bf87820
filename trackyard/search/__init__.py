"""MLflow's search grammar: filter strings and order_by clauses, parsed into typed clauses.

The parser knows nothing about SQL; the stores compile `Clause` and `OrderKey` lists into
their own queries. Each searchable entity (runs, experiments, registered models, model
versions) describes what it accepts with a `Schema`.
"""
