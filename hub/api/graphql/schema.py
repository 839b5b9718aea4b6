"""The hub's GraphQL schema: every domain's queries, mutations and subscriptions, with limits.

Export the SDL with ``python -m hub.api.graphql.schema > graphql/schema.graphql``; a test fails when the
file and the code disagree.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import OrderedDict
from collections.abc import Coroutine, Iterator
from typing import Any

import anyio.to_thread
import strawberry
from graphql import ASTValidationRule, GraphQLError, OperationType
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from adapters.text import nul_place, nul_refused
from hub.api.graphql.anchoring import AnchoringQuery
from hub.api.graphql.bills import BillMutation, BillQuery, BillSubscription
from hub.api.graphql.commerce import CommerceMutation, CommerceQuery, CommerceSubscription
from hub.api.graphql.common import format_error
from hub.api.graphql.directory import DirectoryMutation, DirectoryQuery
from hub.api.graphql.documents import DocumentMutation, DocumentQuery, DocumentSubscription
from hub.api.graphql.finance import FinanceMutation, FinanceQuery, FinanceSubscription
from hub.api.graphql.governance import GovernanceMutation, GovernanceQuery
from hub.api.graphql.port import PortMutation, PortQuery, PortSubscription
from hub.api.graphql.tracking import TrackingQuery, TrackingSubscription
from hub.fanout import reader_key
from hub.settings import Settings, get_settings


@strawberry.type(description="Everything you can read.")
class Query(
    DirectoryQuery,
    DocumentQuery,
    AnchoringQuery,
    TrackingQuery,
    BillQuery,
    CommerceQuery,
    FinanceQuery,
    PortQuery,
    GovernanceQuery,
):
    pass


@strawberry.type(description="Everything you can change; each mutation returns typed errors.")
class Mutation(
    DirectoryMutation,
    DocumentMutation,
    BillMutation,
    CommerceMutation,
    FinanceMutation,
    PortMutation,
    GovernanceMutation,
):
    pass


@strawberry.type(description="Live changes, over graphql-transport-ws on /graphql.")
class Subscription(
    DocumentSubscription,
    TrackingSubscription,
    BillSubscription,
    CommerceSubscription,
    FinanceSubscription,
    PortSubscription,
):
    pass


class DomainErrors(SchemaExtension):
    """Give domain errors their stable codes and mask everything unexpected."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult) and result.errors:
            result.errors = [format_error(error) for error in result.errors]


class RefuseNul(SchemaExtension):
    """Refuse text holding the NUL character, in the variables or in the query's own strings, before
    anything runs: PostgreSQL cannot store it (the write failed as an unexpected error) and SQLite stored
    it, so the same request did different things by backend. The REST readers refuse it likewise."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        place = nul_place(context.variables or {}, "variables")
        if place is None and context.query is not None and "\\u0000" in context.query:
            place = "query"  # a string written in the query itself, as an escape (GraphQL has no other way)
        if place is not None:
            refused = nul_refused(place)
            context.result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(refused.message, original_error=refused)]
            )
        yield


class _OwnLoop:
    """A worker thread's event loop, closed with the thread (its thread-local entry is dropped then)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        self.loop.close()


class _ThreadLoop(threading.local):
    """An event loop per worker thread, made on first use."""

    own: _OwnLoop | None = None

    def run(self, operation: Coroutine[Any, Any, StrawberryExecutionResult]) -> StrawberryExecutionResult:
        if self.own is None:
            self.own = _OwnLoop()
        return self.own.loop.run_until_complete(operation)


_thread_loops = _ThreadLoop()


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """Executes a subscription event once for every subscriber that would get the same answer.

    A subscription's resolver yields, for one bus message, the same object to every subscriber with the
    same reader (``hub.fanout``). Subscribers that also sent the same document (one parsed document per
    text: the parser cache) and the same variables get the same result for it: it is computed once, for
    the first, and handed to the others. What a resolver reads beyond the event reads as the reader, who
    is part of the key. Queries and mutations execute as before."""

    _results: OrderedDict[tuple[Any, ...], tuple[Any, Any]] = OrderedDict()
    _size = 4096

    def execute_operation(self, serially: bool | None = None) -> Any:
        principal = getattr(self.context_value, "known_principal", None)
        if self.operation.operation != OperationType.SUBSCRIPTION or principal is None:
            return super().execute_operation(serially)
        try:
            variables = json.dumps(self.variable_values, sort_keys=True, default=str)
        except (TypeError, ValueError):
            return super().execute_operation(serially)
        key = (id(self.root_value), id(self.operation), variables, reader_key(principal))
        held = self._results.get(key)
        if held is not None and held[0] is self.root_value:
            result = held[1]
        else:
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                result = asyncio.ensure_future(result)
            # The entry holds the event, so that its identity is not reused while the entry lives.
            self._results[key] = (self.root_value, result)
            while len(self._results) > self._size:
                self._results.popitem(last=False)
        if isinstance(result, asyncio.Future):
            return asyncio.shield(result) if not result.done() else result
        return result


class HubSchema(strawberry.Schema):
    """A schema that logs only unexpected errors (domain errors are answers, not incidents), and runs each
    operation away from the server's event loop."""

    async def execute(self, *args: Any, **kwargs: Any) -> StrawberryExecutionResult:
        """The operation, run in one of the server's worker threads on an event loop of that thread.

        The resolvers are synchronous and query the database. Run on the server's own loop, as strawberry
        runs them, one slow query (a lock wait, a full pool) stalled every request the process held:
        ``/health``, the WebSocket subscriptions, the other GraphQL requests. A new loop per operation
        would cost about 0.14 ms; a loop kept per thread, 0.01 ms. The thread runs the coroutine in the
        request's context (its log fields), as anyio copies it."""
        operation = super().execute(*args, **kwargs)
        return await anyio.to_thread.run_sync(_thread_loops.run, operation)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Unexpected errors are logged by ``format_error``; the rest needs no log line."""


def build_schema(settings: Settings | None = None) -> HubSchema:
    """The schema with the limits the settings ask for."""
    settings = settings or get_settings()
    # Build the limit rules once: strawberry's limiter extensions create new rule classes per instance,
    # which would make every request miss the validation cache (about 2 ms a request).
    limit_rules: list[type[ASTValidationRule]] = [
        max_depth_rule(settings.graphql_max_depth, None, None),
        max_aliases_rule(settings.graphql_max_aliases),
    ]
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=SharedEventExecution,
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=settings.graphql_max_tokens),
            lambda: AddValidationRules(limit_rules),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            RefuseNul,
            DomainErrors,
        ],
    )


def export_sdl() -> str:
    """The schema's SDL, as committed in ``graphql/schema.graphql``."""
    return build_schema(Settings()).as_str() + "\n"


if __name__ == "__main__":
    print(export_sdl(), end="")
