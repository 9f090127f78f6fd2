"""The ``identifier`` table is dropped: nothing ever wrote it.

A person's identifiers live where each source gave them, on ``source_record`` (``la_child_id``,
``nhs_number``, ``upn``, ``person_id``) and, for children, on ``child``: linkage compares them
there, the journey shows them from there, and pseudonymised exports hide them from there. The
empty table beside them was read in three places (export scrubbing, the purge's counts, the
loader's superseding) and so only looked like a second home for the same facts.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0010_invitations")]

    initial = False

    operations = [ops.DeleteModel(name="Identifier")]
