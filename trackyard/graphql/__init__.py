"""GraphQL as MLflow's server answers it, for MLflow's own web UI: the schema (`schema`), its
fields read through the REST handlers (`resolvers`), and the bounds on a query (`limits`).

`execute.run_operation` takes one operation (query text, variables, operation name) to
MLflow's answer: `{"data": ..., "errors": [message, ...] or null}` with status 200, for syntax
errors, queries over the bounds, invalid queries and failing fields alike.
"""
