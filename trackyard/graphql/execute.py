"""One GraphQL operation, from its text to MLflow's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    OperationType,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)

from ..access.guard import ANONYMOUS, Caller
from ..services import Services
from .limits import MAX_TOKENS, QueryTooCostly, check_cost
from .resolvers import Context, field_resolver
from .schema import SCHEMA

# Validation stops after this many errors: a long invalid document costs no more.
MAX_VALIDATION_ERRORS = 20


@dataclass(frozen=True)
class Operation:
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def error_answer(messages: list[str], status: int = 200) -> Answer:
    return Answer(status, {"data": None, "errors": messages})


def run_operation(
    services: Services, operation: Operation, read_only: bool = False, caller: Caller = ANONYMOUS
) -> Answer:
    """Parse, bound, validate and execute one operation; blocking (store calls), so it runs in
    a worker thread. `read_only`: a GET, which may not run a mutation."""
    try:
        document = parse(operation.query, max_tokens=MAX_TOKENS)
        check_cost(document)
    except GraphQLError as error:
        return error_answer([error.message])
    except QueryTooCostly as error:
        return error_answer([str(error)])
    errors = validate(SCHEMA, document, max_errors=MAX_VALIDATION_ERRORS)
    if errors:
        return error_answer([error.message for error in errors])
    if read_only:
        chosen = get_operation_ast(document, operation.operation_name)
        if chosen is not None and chosen.operation != OperationType.QUERY:
            message = f"Can only perform a {chosen.operation.value} operation from a POST request."
            return error_answer([message], status=405)
    result = execute_sync(
        SCHEMA,
        document,
        context_value=Context(services, caller),
        variable_values=operation.variables,
        operation_name=operation.operation_name,
        field_resolver=field_resolver,
    )
    messages = [error.message for error in result.errors] if result.errors else None
    return Answer(200, {"data": result.data, "errors": messages})
