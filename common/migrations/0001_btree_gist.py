"""Enable btree_gist: the allocation exclusion constraint mixes ``=`` on scalars with ``&&``."""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [BtreeGistExtension()]
