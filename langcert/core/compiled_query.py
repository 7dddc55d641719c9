"""A queryset compiled to SQL once (per thread), then run with other values.

For hot paths where Django's building and compiling of a queryset costs far more than the
database takes to run it: the API's lookup by Statement of Results number and date of
birth joins six tables, which Django takes about 1.1 ms to turn into SQL and PostgreSQL,
once the statement is prepared (`prepared_cursor`), 0.05 ms to run. The queryset is built
once with stand-in values, its SQL kept, and each call swaps the real values in. Rows
become model instances (with their `select_related` objects) exactly as the queryset's own
iteration makes them: the same converters, `Model.from_db` and related populators.

Only the values of parameters change between calls: a queryset whose shape depends on
the values (an `__in` list, a None turning into IS NULL) cannot be compiled this way.
Each thread makes its own plan (SQL, compiler, converters, populators), bound to its own
connection as Django's are. It rests on the compiler's internals as `QuerySet` iteration
uses them (Django 5.2): tests/verification/test_lookup_speed_paths.py compares every answer
with the queryset's on both databases, so a Django upgrade that changes them fails there.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from django.db import NotSupportedError, connections, models, router
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler

# Stand-ins that no real value equals, by the type of the field they go to.
_STAND_INS: dict[type[models.Field], Any] = {
    models.DateTimeField: datetime(1, 1, 2, 3, 4, 5),  # before DateField, its parent
    models.DateField: date(1, 1, 2),
    models.CharField: "\x1fcompiled-query-stand-in\x1f",
}


@dataclass(frozen=True)
class _Slot:
    name: str
    field: models.Field
    position: int


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[_Slot, ...]
    compiler: SQLCompiler
    init_list: tuple[str, ...]
    model_columns: slice
    converters: dict[int, Any]  # column -> the functions turning its value into Python's
    populators: tuple[Any, ...]  # fill in the select_related objects; they keep no state


class CompiledQuery:
    """`build(**values)` returns a queryset of `model`; `fields` names the model field each
    value filters on (to turn a value into its database form as the lookup would)."""

    def __init__(self, model: type[models.Model], build: Callable[..., models.QuerySet],
                 **fields: models.Field):
        self.model = model
        self._build = build
        self._fields = fields
        # Per thread, as Django's connections are: a plan holds its thread's connection.
        self._local = threading.local()

    def first(self, **values: Any) -> models.Model | None:
        """The first row's instance, or None."""
        connection = connections[router.db_for_read(self.model)]
        plan = self._plan(connection)
        params = list(plan.params)
        for slot in plan.slots:
            params[slot.position] = _db_value(slot.field, values[slot.name], connection)
        try:
            row = _fetch_one(connection, plan.sql, params)
        except NotSupportedError:
            # "cached plan must not change result type": a migration run elsewhere changed a
            # column this prepared statement returns. Inside a transaction, its rollback
            # makes psycopg forget its statements; outside, forget them now and run again.
            if connection.in_atomic_block:
                raise
            with connection.cursor() as cursor:
                cursor.execute("DEALLOCATE ALL")
            row = _fetch_one(connection, plan.sql, params)
        if row is None:
            return None
        if plan.converters:
            [row] = plan.compiler.apply_converters([row], plan.converters)
        instance = self.model.from_db(connection.alias, plan.init_list, row[plan.model_columns])
        for populator in plan.populators:
            populator.populate(row, instance)
        return instance

    def _plan(self, connection) -> _Plan:
        plans = self._local.__dict__.setdefault("plans", {})
        plan = plans.get(connection.alias)
        # Made again when the alias names another connection object (settings changed).
        if plan is None or plan.compiler.connection is not connection:
            stand_ins = {name: _stand_in(field) for name, field in self._fields.items()}
            plan = plans[connection.alias] = _compile(
                self._build(**stand_ins).using(connection.alias), self._fields)
        return plan


def _fetch_one(connection, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _stand_in(field: models.Field) -> Any:
    for kind, value in _STAND_INS.items():
        if isinstance(field, kind):
            return value
    raise TypeError(f"no stand-in value for {type(field).__name__}")


def _db_value(field: models.Field, value: Any, connection) -> Any:
    """The value as an exact lookup on `field` sends it to the database."""
    return field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)


def _compile(queryset: models.QuerySet, fields: dict[str, models.Field]) -> _Plan:
    connection = connections[queryset.db]
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    if compiler.klass_info["model"] is not queryset.model or compiler.annotation_col_map:
        raise ValueError("only plain querysets of the model (no annotations) are compiled")
    slots = []
    for name, field in fields.items():
        stand_in = _db_value(field, _stand_in(field), connection)
        positions = [i for i, param in enumerate(params) if param == stand_in]
        if len(positions) != 1:
            raise ValueError(f"{name} is in the compiled query {len(positions)} times, not once")
        slots.append(_Slot(name, field, positions[0]))
    select_fields = compiler.klass_info["select_fields"]
    columns = slice(select_fields[0], select_fields[-1] + 1)
    init_list = tuple(column[0].target.attname for column in compiler.select[columns])
    populators = get_related_populators(compiler.klass_info, compiler.select, queryset.db)
    converters = compiler.get_converters([column[0] for column in compiler.select])
    return _Plan(sql, tuple(params), tuple(slots), compiler, init_list, columns, converters,
                 tuple(populators))


def prepared_cursor(connection):
    """A cursor whose statements psycopg prepares on the connection at their first run, so
    PostgreSQL parses and plans them once per connection instead of every time (0.7 ms of
    its CPU for the six-table lookup, against 0.06 ms run prepared). Elsewhere, or
    with prepared statements turned off (settings: DATABASE_PREPARED_STATEMENTS), the
    usual cursor. Django's debug logging and execute wrappers apply as to any cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    # What connection.cursor() does before making its cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        return connection.cursor()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = _preparing_cursor_class()(connection.connection)
    return (connection.make_debug_cursor(cursor) if connection.queries_logged
            else connection.make_cursor(cursor))


@cache
def _preparing_cursor_class():
    # Django's own cursors bind parameters on the client, which psycopg never prepares.
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

    return PreparingCursor
