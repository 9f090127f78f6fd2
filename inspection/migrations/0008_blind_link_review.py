"""Blind linkage review: an option per inspection under which the review page shows the two
records only, not the model's probability or the weight of each field's evidence (clerical
review as it should be done, docs/linkage.md)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0007_sign_in_throttle")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Inspection",
            name="blind_link_review",
            field=fields.BooleanField(default=False),
        ),
    ]
