"""A concern's and an upload's status are enums whose values are the strings already stored:
the columns keep their type and length, so only the migration state changes and no row is
rewritten."""

from tortoise import fields, migrations

from inspection.audit.status import ConcernStatus
from inspection.evidence.upload_status import UploadStatus
from inspection.migrations._state import AlterFieldState


class Migration(migrations.Migration):
    dependencies = [("models", "0015_sample_check_jobs")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="Concern",
            name="status",
            field=fields.CharEnumField(
                default=ConcernStatus.OPEN,
                description="OPEN: open\nRESPONDED: responded\nCLOSED: closed",
                enum_type=ConcernStatus,
                max_length=20,
            ),
        ),
        AlterFieldState(
            model_name="Upload",
            name="status",
            field=fields.CharEnumField(
                default=UploadStatus.LOADED,
                description="LOADED: loaded\nSUPERSEDED: superseded",
                enum_type=UploadStatus,
                max_length=20,
            ),
        ),
    ]
