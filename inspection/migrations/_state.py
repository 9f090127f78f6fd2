"""Operations shared by the hand-written migrations (a module the migration loader skips)."""

from tortoise.migrations import operations as ops


class AlterFieldState(ops.AlterField):
    """A field's new definition for the migration state only; the migration's RunPython does
    the database part (Tortoise's own AlterField rebuilds a SQLite table and drops its
    indexes)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):  # type: ignore[no-untyped-def]
        return None


class AddFieldState(ops.AddField):
    """A new field for the migration state only; the migration's RunPython adds the column with
    a database default (Tortoise's own AddField gives a new NOT NULL column no default, which
    SQLite refuses on a table that has rows)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):  # type: ignore[no-untyped-def]
        return None


class AddIndexState(ops.AddIndex):
    """An index for the migration state only; the migration's RunPython creates it (Tortoise's
    own AddIndex cannot write an index on an expression)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):  # type: ignore[no-untyped-def]
        return None
