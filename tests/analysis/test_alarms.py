"""Alarms' words: every topic has a label in both languages, and an alarm reads in the
reader's language."""

from __future__ import annotations

from django.utils import translation

from analysis.alarms import MESSAGES, TOPICS, alarm_texts, place_label
from dispatch.notifications import label_of


def test_every_alarm_topic_has_a_label_in_both_languages():
    for topic in TOPICS.values():
        assert label_of(topic) is not None
        with translation.override("en"):
            english = str(label_of(topic))
        with translation.override("zh-hans"):
            chinese = str(label_of(topic))
        assert english != topic
        assert chinese != english


def test_an_alarm_reads_in_the_readers_language():
    params = {
        "what": "暴露垃圾",
        "count": 30,
        "radius": 100,
        "hours": 48,
        "first": "2026-11-25 16:00",
        "last": "2026-11-27 14:00",
    }
    with translation.override("en"):
        subject, summary = alarm_texts("hotspot", params)
    assert subject == "暴露垃圾: 30 cases within 100 m in 48 h"
    assert summary == "30 cases reported between 2026-11-25 16:00 and 2026-11-27 14:00."
    with translation.override("zh-hans"):
        subject, _summary = alarm_texts("hotspot", params)
    assert subject == "暴露垃圾：48 小时内 100 米范围 30 件"
    with translation.override("zh-hans"):
        assert place_label("cell", "辽宁路市场") == "辽宁路市场附近"
        assert place_label("asset", "上水井盖 3702030101000001") == "上水井盖 3702030101000001"
    # Every message renders with its parameters, and a row missing one still reads.
    assert set(MESSAGES) == {"hotspot", "trend_day", "trend_week", "repeat_place"}
    assert alarm_texts("hotspot", {"what": "暴露垃圾"}) == ("暴露垃圾", "")
