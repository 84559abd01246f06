from django.db import migrations

# The starting levels (등급); operators edit them in the admin. Names are Korean first, as the UI is.
LEVELS = [
    (1, "새싹 Sprout", 0, None, None, None),
    (2, "일반 Regular", 20, 0.7, 0.7, None),
    (3, "숙련 Skilled", 200, 0.85, 0.85, 0.2),
    (4, "전문가 Expert", 1000, 0.92, 0.92, 0.1),
]


def create(apps, schema_editor):
    Level = apps.get_model("quality", "Level")
    for rank, name, approved, gold, approval, rework in LEVELS:
        Level.objects.get_or_create(
            rank=rank,
            defaults={"name": name, "min_approved": approved, "min_gold_accuracy": gold,
                      "min_approval_rate": approval, "max_rework_rate": rework},
        )


def remove(apps, schema_editor):
    apps.get_model("quality", "Level").objects.filter(rank__in=[r[0] for r in LEVELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
