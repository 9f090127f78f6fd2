"""Sign-in throttling by counters updated atomically (``sign_in_throttle``), replacing the
table of every attempt (``login_attempt``), which was counted with a read before each check
and kept every e-mail address and address tried for ever. The access log still records every
attempt."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_event_attributes_as_json')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInThrottle',
            fields=[
                ('subject', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('window_started', fields.BigIntField()),
                ('attempts', fields.IntField()),
            ],
            options={'table': 'sign_in_throttle', 'app': 'models', 'pk_attr': 'subject', 'table_description': 'Sign-in attempts counted in the current window, for one account or one address.'},
            bases=['Model'],
        ),
        ops.DeleteModel(name='LoginAttempt'),
    ]
