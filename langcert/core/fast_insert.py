"""Writing a few new rows in one round trip: the log rows of hot paths.

`Model.objects.create` compiles its INSERT on every call (about 0.3 ms), and two rows that
must be written together need `transaction.atomic`, which adds BEGIN and COMMIT round
trips. Log rows need neither their id back nor signals, so `insert_rows` writes unsaved
instances with an INSERT built once per model: all of them in one prepared statement on
PostgreSQL (data-modifying WITH clauses, atomic as any statement), else in one
transaction.
"""

from functools import cache
from typing import Any

from django.db import connections, models, router, transaction

from langcert.core.compiled_query import prepared_cursor


def insert_rows(*rows: models.Model) -> None:
    """Insert these unsaved instances (defaults and auto_now_add filled in, as `save` would;
    ids are not read back, no signal is sent), all or none."""
    if not rows:
        return
    connection = connections[router.db_for_write(type(rows[0]))]
    statements = [_insert_sql(type(row), connection.alias) for row in rows]
    values = [_values(row, connection) for row in rows]
    if connection.vendor == "postgresql":
        *first, last = statements
        with_clauses = ", ".join(f"row{n} AS ({sql})" for n, sql in enumerate(first))
        sql = f"WITH {with_clauses} {last}" if first else last
        # As save() does: a failure marks an enclosing atomic block for rollback.
        with transaction.mark_for_rollback_on_error(using=connection.alias), \
                prepared_cursor(connection) as cursor:
            cursor.execute(sql, [value for row_values in values for value in row_values])
        return
    with transaction.atomic(using=connection.alias, savepoint=False), \
            connection.cursor() as cursor:
        for sql, row_values in zip(statements, values, strict=True):
            cursor.execute(sql, row_values)


def _fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.local_concrete_fields
            if field is not model._meta.auto_field and not field.generated]


@cache
def _insert_sql(model: type[models.Model], alias: str) -> str:
    quote = connections[alias].ops.quote_name
    fields = _fields(model)
    columns = ", ".join(quote(field.column) for field in fields)
    # Names from the model's own meta, quoted; every value goes as a parameter.
    return (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})")


def _values(row: models.Model, connection) -> list[Any]:
    fields = _fields(type(row))
    values = [field.pre_save(row, True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        raise ValueError("insert_rows writes plain values: use save() for database defaults "
                         "and expressions")
    return [field.get_db_prep_save(value, connection)
            for field, value in zip(fields, values, strict=True)]
