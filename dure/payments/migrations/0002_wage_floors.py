"""Korea's legal minimum hourly wage (최저임금) for 2025 and 2026. Operators add later years as data."""

from django.db import migrations

FLOORS = [("KR", 2025, 10_030), ("KR", 2026, 10_320)]


def add(apps, schema_editor):
    WageFloor = apps.get_model("payments", "WageFloor")
    for country, year, hourly in FLOORS:
        WageFloor.objects.update_or_create(country=country, year=year, defaults={"hourly": hourly})


def remove(apps, schema_editor):
    WageFloor = apps.get_model("payments", "WageFloor")
    for country, year, _hourly in FLOORS:
        WageFloor.objects.filter(country=country, year=year).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
