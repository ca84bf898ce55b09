"""The data centre's 4 base and 9 thematic databases, as categories every install starts with.

They are data: an administrator renames, reorders or adds categories in the admin. The names
follow the usual division of a city's data centre (基础库 / 专题库); the seed names the counts,
not the databases, so these are the district's to correct.
"""

from django.db import migrations

CATEGORIES = [
    # code, Chinese, English, kind, ordering
    ("population", "人口基础库", "Population", "base", 10),
    ("legal_entities", "法人基础库", "Legal entities", "base", 20),
    ("spatial", "空间地理基础库", "Spatial geography", "base", 30),
    ("economy", "宏观经济基础库", "Macro-economy", "base", 40),
    ("components", "城市部件专题库", "City components", "thematic", 110),
    ("events", "城市事件专题库", "City events", "thematic", 120),
    ("video", "视频监控专题库", "Video surveillance", "thematic", 130),
    ("emergency", "应急管理专题库", "Emergency management", "thematic", 140),
    ("municipal", "市政公用专题库", "Municipal utilities", "thematic", 150),
    ("greenery", "园林绿化专题库", "Parks and greenery", "thematic", 160),
    ("sanitation", "环境卫生专题库", "Environmental sanitation", "thematic", 170),
    ("transport", "交通出行专题库", "Transport", "thematic", 180),
    ("governance", "社会治理专题库", "Social governance", "thematic", 190),
]


def add_categories(apps, schema_editor):
    LayerCategory = apps.get_model("layers", "LayerCategory")
    for code, name, name_en, kind, ordering in CATEGORIES:
        LayerCategory.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "kind": kind, "ordering": ordering},
        )


class Migration(migrations.Migration):
    dependencies = [("layers", "0001_layer_catalogue")]

    operations = [migrations.RunPython(add_categories, migrations.RunPython.noop)]
