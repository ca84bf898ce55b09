"""The redaction that decides what of a reporter's words the public may read.

Each example is something a hotline operator, a citizen or an inspector really writes, or a
way of writing a number that slipped past the old mask. The property checked is the same for
all: what is published holds no trace of the number or the name; if it cannot be made so, it
is not published at all.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from citizens.redaction import MASK, public_point, public_text, redact

PHONE = "13800138000"
ID_NUMBER = "370203199001011234"

_WORD_DIGITS = {
    **dict.fromkeys("〇零○洞", "0"),
    **dict.fromkeys("一壹幺", "1"),
    **dict.fromkeys("二贰两", "2"),
    "三": "3",
    "叁": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    **dict.fromkeys("七柒拐", "7"),
    "八": "8",
    "捌": "8",
    "九": "9",
    "玖": "9",
}
_ENGLISH = dict(
    zip(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        "0123456789",
        strict=True,
    )
)


def digits_of(text: str) -> str:
    """Every digit the text spells, in any script or word, in order."""
    text = re.sub(
        r"\b(" + "|".join(_ENGLISH) + r")\b",
        lambda m: _ENGLISH[m.group().lower()],
        text,
        flags=re.I,
    )
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        value = unicodedata.decimal(ch, None)
        if value is not None:
            out.append(str(value))
        elif ch in _WORD_DIGITS:
            out.append(_WORD_DIGITS[ch])
    return "".join(out)


def assert_no_trace(text: str, secret: str) -> None:
    published = public_text(text)
    if published is None:
        return  # not published at all: the plain description stands in
    digits = digits_of(published)
    # No four digits of the secret in a row survive (a phone's last four are already a lot).
    for start in range(len(secret) - 3):
        assert secret[start : start + 4] not in digits, (text, published)


PHONE_WRITINGS = [
    "联系电话13800138000",
    "电话：138 0013 8000，请尽快处理",
    "电话138-0013-8000",
    "手机138.0013.8000",
    "手机 138/0013/8000",
    "138\\0013\\8000",
    "138_0013_8000",
    "138·0013·8000",
    "138、0013、8000",
    "138，0013，8000",
    "(138) 0013 8000",
    "+86 138 0013 8000",
    "+86-13800138000",
    "0086 13800138000",
    "８６－１３８００１３８０００",
    "１３８００１３８０００",
    "１３８　００１３　８０００",
    "１３８．００１３．８０００",
    "一三八零零一三八零零零",
    "一三八 零零一三 八零零零",
    "一三八〇〇一三八〇〇〇",
    "壹叁捌零零壹叁捌零零零",
    "幺三八洞洞幺三八洞洞洞",
    "幺三八零零幺三八零零零",
    "138零零13八000",
    "一38零013八千",
    "one three eight zero zero one three eight zero zero zero",
    "One-Three-Eight 0013 8000",
    "1 3 8 0 0 1 3 8 0 0 0",
    "1-3-8-0-0-1-3-8-0-0-0",
    "138\u200b0013\u200b8000",
    "138\u200d0013\u2060 8000",
    "138\u00ad0013\u00ad8000",
    "①③⑧⓪⓪①③⑧⓪⓪⓪",
    "𝟏𝟑𝟖𝟎𝟎𝟏𝟑𝟖𝟎𝟎𝟎",
    "١٣٨٠٠١٣٨٠٠٠",
    "¹³⁸⁰⁰¹³⁸⁰⁰⁰",
    "138 号 0013 号 8000",
    "前三位138，中间0013，后四位8000",
    "尾号8000，前面是1380013",
    "请回电13800138000（李女士）",
    "市民反映辽宁路有垃圾。138****8000",
    "电话138\t0013\n8000",
    "电话：138--0013--8000",
    "tel:+8613800138000",
    "TEL 138 0013 8000 ext 12",
]


@pytest.mark.parametrize("text", PHONE_WRITINGS)
def test_no_way_of_writing_a_phone_survives(text):
    assert_no_trace(text, PHONE)


ID_WRITINGS = [
    "身份证370203199001011234",
    "身份证号：370203 19900101 1234",
    "370203.19900101.1234",
    "370203-1990-0101-1234",
    "370203/19900101/1234",
    "３７０２０３１９９００１０１１２３４",
    "三七〇二〇三一九九〇〇一〇一一二三四",
    "身份证37020319900101123X，丢在路边",
    "证件号码370203 1990 01 01 1234",
    "370203.1990.01.01.1234",
    "370203 1990年01月01日 1234",
]


@pytest.mark.parametrize("text", ID_WRITINGS)
def test_no_way_of_writing_an_id_number_survives(text):
    assert_no_trace(text, ID_NUMBER)


def test_an_id_number_ending_in_x_loses_its_x_too():
    redacted = redact("身份证37020319900101123X，丢在路边")
    assert "X" not in redacted.text
    assert "x" not in redacted.text
    assert redacted.text == f"身份证{MASK}，丢在路边"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("市民李四反映楼道堆物", "李四"),
        ("市民：李四反映楼道堆物", "李四"),
        ("来电市民王小明称路灯不亮", "王小明"),
        ("联系人：王小明，要求尽快处理", "王小明"),
        ("联系人 张三 电话略", "张三"),
        ("居民赵六说门口有垃圾", "赵六"),
        ("业主孙七投诉楼下噪音", "孙七"),
        ("举报人周八称有人违建", "周八"),
        ("来电市民欧阳娜娜反映井盖缺失", "欧阳娜娜"),
        ("李先生称井盖丢失", "李"),
        ("李四先生称井盖丢失", "李四"),
        ("张阿姨家门口有积水", "张"),
        ("欧阳女士反映路面破损", "欧阳"),
        ("一位姓吴的市民反映", "吴"),
        ("老王家门口有垃圾", "王"),
        ("小李说路灯坏了", "李"),
        ("我叫郑九，住在附近", "郑九"),
        ("本人钱十，要求处理", "钱十"),
        ("市民禤某反映", "禤"),
        ("Mr. Smith reported a pothole", "Smith"),
        ("姓名：冯十一，电话略", "冯十一"),
    ],
)
def test_names_after_labels_and_before_forms_of_address_are_masked(text, name):
    redacted = redact(text)
    assert name not in redacted.text, redacted.text
    assert MASK in redacted.text


@pytest.mark.parametrize(
    "text",
    [
        "市民反映：长春路与辽宁路路口东南角有大量建筑垃圾，已有三天，影响通行。",
        "老百姓反映路面破损",
        "居民楼下堆满杂物",
        "居民们反映路灯不亮",
        "辽宁路123号和125号之间的井盖缺失",
        "3号楼和5号楼之间的绿地被占",
        "2026年11月27日上午8:30发现路灯不亮，至今未修",
        "二〇二六年十一月二十七日发现",
        "11月27日起，每天早上7点到9点有人占道经营",
        "一个井盖丢了，十字路口很危险",
        "这位先生说饭店老板把桌子摆到了人行道上",
        "The street lamp at the corner has been out for 3 days.",
    ],
)
def test_ordinary_descriptions_are_published_as_written(text):
    assert public_text(text) == text


def test_a_room_number_is_masked_but_the_building_stays():
    assert redact("3号楼2单元502室门口有垃圾").text == f"3号楼{MASK}单元{MASK}室门口有垃圾"


@pytest.mark.parametrize(
    "text",
    [
        "鲁B·12345 在人行道上停了三天",
        "鲁B12345在人行道上停了三天",
        "车牌鲁b 1234D在人行道上停了三天",
    ],
)
def test_licence_plates_are_masked(text):
    published = public_text(text)
    assert published is not None
    assert "12345" not in published
    assert "1234" not in published


@pytest.mark.parametrize(
    "text",
    [
        "有问题请发邮件 lisi@example.com 联系我",
        "有问题请发邮件 lisi (at) example (dot) com 联系我",
        "详见 https://example.com/p?id=13800138000 的照片",
        "加我微信 lisi_1990 看照片",
        "QQ 12345678 有照片",
    ],
)
def test_accounts_and_links_are_masked(text):
    published = public_text(text)
    assert published is not None
    for secret in ("lisi", "example", "12345678", "13800138000"):
        assert secret not in published


def test_a_text_that_is_only_contact_details_is_not_published():
    assert public_text("电话13800138000") is None
    assert redact("电话13800138000").reason == "nothing_left"


def test_digits_left_over_refuse_publication():
    redacted = redact("138 号 0013 号 8000")
    assert not redacted.publishable
    assert redacted.reason == "digits"


def test_public_points_are_rounded_to_about_a_hundred_metres():
    assert public_point(120.354523, 36.085901) == (120.355, 36.086)
