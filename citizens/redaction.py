"""What the public may read of a case, and the redaction that decides it.

Anything published to people who are not staff (Open311, a public map, a citizen's view of a
case) goes through here. The public may see:

- the **category**: the catalogue item, and its filing condition;
- the **place, rounded**: the point to PUBLIC_POINT_DECIMALS decimals (about 100 m) and the
  community and street it lies in; never the free-text address, which is often a dwelling;
- the **state**: open or closed, the status and the closure kind;
- the **public notes**: the reasons a reporter is owed (rejected, closed), redacted.

A reporter's own words (a hotline caller's description, a note) are published only when
`redact` can vouch for them: every phone number, ID number, bank card, e-mail address, licence
plate, room number and name it recognises is masked, and nothing that still looks like one is
left (`Redacted.publishable`). Otherwise the category's plain description is published
instead (`public_description`).

What `redact` recognises, on a copy of the text with full-width forms folded (NFKC), invisible
characters dropped and every Unicode digit read as a digit:
- runs of 7 or more digits, where a digit is an Arabic digit, a Chinese numeral (一二三…,
  〇/零, 幺/两/洞/拐 as read out on the phone, 壹贰叁…, 十百千万) or an English digit word,
  and where digits may be separated by spaces, dots, dashes, slashes, commas and the like
  (138.0013.8000, 138/0013/8000, ＋86 １３８ ００１３ ８０００, 一三八零零一三八零零零,
  370203.19900101.1234, an ID number ending in X);
- e-mail addresses and web links; the account after a QQ / 微信 / 电话 / 身份证… label;
- licence plates (鲁B·12345); room and unit numbers (3单元502室);
- names after a label (市民李四, 联系人：王小明, 我叫…), before a form of address (李先生,
  张阿姨), as 老王 / 小李, after 姓; Mr / Ms X.

It refuses (publishable is False) when, after masking, the text still holds 7 or more digits
outside recognised dates and times, or hardly anything but masks. Names without a label
(张三家门口有垃圾) cannot be told from other words without a dictionary of people: this is
why staff are asked to write names after a label, and why a hotline caller's words are not
published at all when in doubt.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cases.models import Case

MASK = "***"
# Published points are rounded to this many decimals of a degree (3: about 110 m north-south,
# 90 m east-west at Qingdao's latitude): enough to find the problem, not a front door.
PUBLIC_POINT_DECIMALS = 3
# A run of this many digits or more is a number to mask (phones have 11, landlines 7–8).
MASK_DIGITS = 7
# After masking, this many digits left anywhere (outside dates and times) means the text may
# still hold a number split up to slip past: it is not published.
RESIDUAL_DIGITS = 7
# Fewer than this many letters left besides the masks: the plain description says more.
MIN_WORDS_LEFT = 4

# --- digits ---------------------------------------------------------------------------------

# Chinese numerals, including the ones read out on the phone (幺 1, 两 2, 洞 0, 拐 7) and the
# financial forms; multipliers count as digits too (八千, 一百三十八).
_CHINESE_DIGITS = frozenset("〇零○一二三四五六七八九幺两洞拐壹贰叁肆伍陆柒捌玖拾佰仟十百千万")
# What may stand between the digits of one number.
_SEPARATORS = frozenset(" \t\r\n\u00a0\u3000-_.,;:/\\|'\"~+*#()[]{}<>·•・‐‑‒–—―−、。，：；")
_MAX_SEPARATOR_RUN = 3
_TOKEN = re.compile(
    "[0-9" + "".join(sorted(_CHINESE_DIGITS)) + "]"
    r"|\b(?:zero|one|two|three|four|five|six|seven|eight|nine)\b",
    re.I,
)
_SEPARATOR_CLASS = "[" + re.escape("".join(sorted(_SEPARATORS))) + "]"
_RUN = re.compile(
    f"(?:{_TOKEN.pattern})(?:{_SEPARATOR_CLASS}{{0,{_MAX_SEPARATOR_RUN}}}(?:{_TOKEN.pattern}))*",
    re.I,
)
# Dates and times are not numbers to hide; they do not count towards the residual digits.
_CN_NUM = "〇零○一二三四五六七八九十"
_DATES_AND_TIMES = re.compile(
    "|".join(
        [
            r"(?<![\d.\-/:])(?:19|20)\d{2}\s*[年.\-/]\s*(?:1[0-2]|0?[1-9])\s*[月.\-/]\s*"
            r"(?:3[01]|[12]\d|0?[1-9])\s*[日号]?(?![\d.\-/:])",
            r"(?<![\d.\-/:])(?:19|20)\d{2}\s*年(?:\s*(?:1[0-2]|0?[1-9])\s*月)?",
            r"(?<![\d.\-/:])(?:1[0-2]|0?[1-9])\s*月\s*(?:(?:3[01]|[12]\d|0?[1-9])\s*[日号])?",
            r"(?<![\d.\-/:])(?:3[01]|[12]\d|0?[1-9])\s*[日号](?![楼\d])",
            rf"[{_CN_NUM}]{{4}}年",
            r"(?:十[一二]?|[一二三四五六七八九])月(?:(?:三十一?|三十|二?十[一二三四五六七八九]?"
            r"|[一二三四五六七八九])[日号])?",
            r"(?<![\d.:])(?:[01]?\d|2[0-4])\s*[:：]\s*[0-5]\d(?![\d:])",
            r"(?<![\d.:])(?:[01]?\d|2[0-4])\s*[点时](?:\s*[0-5]?\d\s*分|半)?",
            r"(?:[一二三四五六七八九十]|十[一二])[点时](?:[一二三四五]?十?[一二三四五六七八九]?分|半)?",
            r"\d{1,3}\s*(?:分钟|小时|天|周|个月|年前|年来)",
        ]
    )
)

# --- other personal data ----------------------------------------------------------------------

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9\-]+(?:\s*(?:\.|\(dot\))\s*[A-Za-z0-9\-]+)+",
    re.I,
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
# The account after a label: QQ 123456, 微信号 lisi_1990, 身份证 …
_ACCOUNT = re.compile(
    r"(?P<label>QQ|qq|微信号?|微信|wx|vx|WeChat|wechat|邮箱|e-?mail|电话|手机号?|座机|联系方式|"
    r"号码|身份证号?|证件号码?|车牌号?|银行卡号?|卡号|账号|尾号|前三位|后四位|中间四位|中间)"
    r"\s*(?:号|是|为|:|：)?\s*(?P<value>[A-Za-z0-9_\-.@]{3,})",
)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"[{_PROVINCES}]\s*[A-Za-z]\s*[·.•\-\s]?\s*[A-Za-z0-9]{{4,5}}[A-Za-z0-9挂学警]?(?![A-Za-z0-9])"
)
# Room and unit numbers (3单元502室): the number goes, the word stays.
_ROOM = re.compile(rf"\d+(?=\s*(?:单元|室))|[{_CN_NUM}]+(?=单元)|[{_CN_NUM}]{{3,}}(?=室)")

# --- names ------------------------------------------------------------------------------------

# Labels a name follows in hotline transcripts and staff notes.
_NAME_LABELS = (
    "来电市民",
    "来电人",
    "来电者",
    "反映人",
    "联系人",
    "报告人",
    "报案人",
    "举报人",
    "投诉人",
    "当事人",
    "申请人",
    "户主",
    "市民",
    "居民",
    "村民",
    "业主",
    "住户",
    "租户",
    "商户",
    "店主",
    "车主",
    "网友",
    "姓名",
    "名字",
    "我叫",
    "名叫",
    "叫做",
    "我是",
    "本人",
)
_NAME_LABEL = re.compile("|".join(_NAME_LABELS))
# Forms of address a name comes before: 李先生, 张阿姨.
_HONORIFIC = re.compile(
    "先生|女士|小姐|太太|夫人|师傅|老师|阿姨|大爷|大妈|大娘|大叔|大姐|大哥|奶奶|爷爷|老太|"
    "同学|同志|经理|老板|主任|书记|警官"
)
# Common surnames (the hundred most frequent, and the compound ones).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧肖田董潘袁蔡蒋余于"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳"
    "翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游"
    "辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫"
    "费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明"
    "佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "夏侯",
    "长孙",
    "宇文",
    "司徒",
    "端木",
    "独孤",
    "南宫",
)
_COMPOUND_SURNAME = re.compile("|".join(_COMPOUND_SURNAMES))
# Characters that follow a label but do not start a name (市民反映, 居民楼, 业主们); surnames
# are left out on purpose: a wrongly masked word costs less than a name let through.
_NOT_A_NAME = frozenset(
    "反来称说表示投举报在家的向与及等也要请打致电拨居住位户们楼区小群自生用多均都已对看发"
    "这那此某该其各每本之中上下里外内旁边附近周处地时候一两几很非常经被将把让给从到再又还"
    "就才并且而但因所如虽哪谁什怎为何无不没未正刚曾会能可应需须想愿希望准开继停进完使通根"
    "按关由除包或即尽只们我你他她它咱您门口前后左右东西南北面委广健活服休娱诉意热求强普纷集"
    "大少众代出入回走乘行街道政府物管"
)
# Characters after a label where a name is certainly not written (市民反映: no name).
_NAME_END = frozenset("反来称说表示投举报在家的于向和与及等也要请打致电拨居住均都已对先女同")
# 老王, 小李: only the surnames that rarely start another word after 老 / 小.
_FAMILIAR_SURNAMES = frozenset("王李张刘陈杨赵吴周徐孙朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾")
_FAMILIAR = re.compile(rf"(?<=[老小阿])[{''.join(sorted(_FAMILIAR_SURNAMES))}](?![区时路吃卖巷])")
_SURNAME_AFTER_XING = re.compile(r"(?<=姓)(?<!百姓)\s*(?!名)[\u4e00-\u9fff]")
_ENGLISH_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?")


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


@dataclass(frozen=True)
class Redacted:
    """A text with what looks personal masked, and whether it may be published."""

    text: str
    masked: int
    publishable: bool
    reason: str = ""


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """One character folded: "" for a format character (zero-width and the like), NFKC
    otherwise, with every Unicode digit as its ASCII digit."""
    if unicodedata.category(ch) == "Cf":
        return ""
    out = []
    for folded in unicodedata.normalize("NFKC", ch):
        digit = unicodedata.decimal(folded, None)
        out.append(str(digit) if digit is not None else folded)
    return "".join(out)


class _Folded:
    """The text folded for matching (NFKC, format characters dropped, Unicode digits as ASCII),
    with the original position of every folded character."""

    def __init__(self, text: str) -> None:
        pieces = [_fold_char(ch) for ch in text]
        self.text = "".join(pieces)
        self.dropped = set(map(len, pieces)) - {1} != set()
        # Most text folds one character for one: every position is its own.
        self.origin: list[int] | range = (
            [index for index, piece in enumerate(pieces) for _ in piece]
            if self.dropped
            else range(len(text))
        )

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of folded[start:end]."""
        return self.origin[start], self.origin[end - 1] + 1


def _digit_runs(folded: str, excluded: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Runs of digits with separators between them: (start, end, number of digits). Dates and
    times (`excluded`) neither join a run nor count."""
    if excluded:
        chars = list(folded)
        for start, end in excluded:
            chars[start:end] = ["\ufffe"] * (end - start)  # neither a digit nor a separator
        folded = "".join(chars)
    runs = []
    for match in _RUN.finditer(folded):
        start, end = match.span()
        count = len(_TOKEN.findall(folded, start, end))
        # An ID number's check character.
        check = folded[end : end + 1]
        if count >= 14 and check in ("x", "X") and not folded[end + 1 : end + 2].isalpha():
            end += 1
            count += 1
        runs.append((start, end, count))
    return runs


def _name_after_label(folded: str, at: int) -> int:
    """The length of the name starting at `at` after a label (0 when no name follows)."""
    compound_match = _COMPOUND_SURNAME.match(folded, at)
    if compound_match:
        compound = compound_match.group()
        if compound:
            length = len(compound)
            while length < len(compound) + 2 and _is_han(folded[at + length : at + length + 1]):
                if folded[at + length] in _NAME_END:
                    break
                length += 1
            return length
    first = folded[at : at + 1]
    if not first or not _is_han(first):
        return 0
    if first in _NOT_A_NAME and first not in _SURNAMES:
        return 0
    length = 1
    # Given names have one or two characters; stop at a word that follows names.
    while length < 3 and _is_han(folded[at + length : at + length + 1]):
        if folded[at + length] in _NAME_END or _HONORIFIC.match(folded, at + length):
            break
        length += 1
    return length


def _name_spans(folded: str) -> list[tuple[int, int]]:
    spans = []
    for match in _NAME_LABEL.finditer(folded):
        at = match.end()
        while at < len(folded) and folded[at] in " :：,，、-—":
            at += 1
        length = _name_after_label(folded, at)
        if length:
            spans.append((at, at + length))
    for match in _HONORIFIC.finditer(folded):
        end = match.start()
        # 李先生, 李四先生, 欧阳先生; not 这位先生 or 饭店老板.
        if folded[end - 2 : end] in _COMPOUND_SURNAMES:
            spans.append((end - 2, end))
        elif end >= 1 and folded[end - 1] in _SURNAMES:
            spans.append((end - 1, end))
        elif (
            end >= 2
            and folded[end - 2] in _SURNAMES
            and _is_han(folded[end - 1])
            and folded[end - 1] not in _NOT_A_NAME
        ):
            spans.append((end - 2, end))
    spans += [m.span() for m in _FAMILIAR.finditer(folded)]
    spans += [m.span() for m in _SURNAME_AFTER_XING.finditer(folded)]
    spans += [m.span() for m in _ENGLISH_TITLE.finditer(folded)]
    return spans


def redact(text: str) -> Redacted:
    """Mask what looks like personal data; say whether the rest may be published."""
    text = text or ""
    folded = _Folded(text)
    f = folded.text
    spans: list[tuple[int, int]] = []
    spans += [m.span() for m in _EMAIL.finditer(f)]
    spans += [m.span() for m in _URL.finditer(f)]
    spans += [m.span("value") for m in _ACCOUNT.finditer(f)]
    spans += [m.span() for m in _PLATE.finditer(f)]
    spans += [m.span() for m in _ROOM.finditer(f)]
    spans += _name_spans(f)

    # Dates and times neither join nor count as digits. Looking for them costs: only when the
    # digits would matter without them.
    runs = _digit_runs(f, [])
    if any(count >= MASK_DIGITS for _s, _e, count in runs) or (
        sum(count for _s, _e, count in runs) >= RESIDUAL_DIGITS
    ):
        runs = _digit_runs(f, [m.span() for m in _DATES_AND_TIMES.finditer(f)])
    masked = list(spans)
    residual = 0
    for start, end, count in runs:
        if count >= MASK_DIGITS:
            # The country code's plus sign goes with the number.
            spans.append((start - 1 if start and f[start - 1] == "+" else start, end))
        elif not any(s < end and start < e for s, e in masked) and (
            # A lone Chinese numeral is a word (一个, 十字路口), not a digit of a number.
            f[start].isascii() or count >= 2
        ):
            residual += count

    merged = _merge(spans)
    out: list[str] = []
    last = 0
    visible = _visible if folded.dropped else str
    for start, end in merged:
        o_start, o_end = folded.span(start, end)
        out.append(visible(text[last:o_start]))
        out.append(MASK)
        last = o_end
    out.append(visible(text[last:]))
    result = "".join(out)

    reason = ""
    if residual >= RESIDUAL_DIGITS:
        reason = "digits"
    elif merged and sum(ch.isalpha() for ch in result.replace(MASK, "")) < MIN_WORDS_LEFT:
        reason = "nothing_left"
    return Redacted(text=result, masked=len(merged), publishable=not reason, reason=reason)


def _visible(text: str) -> str:
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# --- what is published ------------------------------------------------------------------------


@functools.lru_cache(maxsize=20_000)
def public_text(text: str) -> str | None:
    """The text redacted, or None when it cannot be published (see `redact`). Remembered per
    process: Open311 clients read the same newest cases again and again."""
    if not (text or "").strip():
        return ""
    redacted = redact(text)
    return redacted.text if redacted.publishable else None


def plain_description(*, item_name: str, condition_description: str = "") -> str:
    """The category's own words: the filing condition met, or the item's name."""
    return (condition_description or "").strip() or item_name


def public_description_of(
    *, description: str, item_name: str, condition_description: str = ""
) -> str:
    """`public_description` over plain values (for lists read as rows)."""
    published = public_text(description)
    if published:
        return published
    return plain_description(item_name=item_name, condition_description=condition_description)


def public_description(case: Case) -> str:
    """What the public reads as the case's description: the reporter's words when they pass
    the redaction, the category's plain description otherwise."""
    condition = case.condition.description if case.condition_id else ""
    return public_description_of(
        description=case.description, item_name=case.item.name, condition_description=condition
    )


def public_note(note: str) -> str:
    """A note the public may read (a reason for rejecting or closing), or "" when it cannot be
    published as written."""
    return public_text(note) or ""


def public_point(lon: float, lat: float) -> tuple[float, float]:
    """A point rounded for publication (longitude, latitude)."""
    return round(lon, PUBLIC_POINT_DECIMALS), round(lat, PUBLIC_POINT_DECIMALS)


def public_place(*, street_name: str, community_name: str) -> str:
    """Where the case is, in words the public may read: its community and street."""
    return " ".join(name for name in (street_name, community_name) if name)
