"""An export is a kind of job: the kind column keeps its type and length, so only the
migration state changes and no row is rewritten."""

from tortoise import fields, migrations

from inspection.migrations._state import AlterFieldState
from inspection.models.jobs import JobKind


class Migration(migrations.Migration):
    dependencies = [("models", "0018_child_death_date")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="Job",
            name="kind",
            field=fields.CharEnumField(
                description=(
                    "IMPORT: import\nLINKAGE: linkage\nSAMPLE_CHECK: sample-verification\n"
                    "EXPORT: export"
                ),
                enum_type=JobKind,
                max_length=20,
            ),
        ),
    ]
