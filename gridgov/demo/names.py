"""Made-up people for the demo: names, phone numbers and start dates drawn from the seed.

Each person is a function of (seed, username) alone, so the same account gets the same
name and number whatever else a run writes. Surnames mix the common Han surnames with
those frequent in 钦州 and the Zhuang-speaking parts of Guangxi (黄, 韦, 覃, 蒙, 莫, 梁,
农, 陆 …). The phone numbers have the form of mainland mobile numbers but are random:
nobody was asked for them, and nobody should dial them.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from gridgov.demo import config

# (surname, relative frequency): a rough picture of 钦州, not a census.
SURNAMES = [
    ("黄", 9),
    ("陈", 8),
    ("李", 7),
    ("梁", 6),
    ("刘", 5),
    ("张", 5),
    ("林", 4),
    ("韦", 4),
    ("王", 4),
    ("杨", 3),
    ("苏", 3),
    ("覃", 3),
    ("莫", 3),
    ("吴", 3),
    ("何", 3),
    ("劳", 2),
    ("宁", 2),
    ("庞", 2),
    ("谢", 2),
    ("冯", 2),
    ("邓", 2),
    ("周", 2),
    ("曾", 2),
    ("钟", 2),
    ("叶", 2),
    ("朱", 2),
    ("罗", 2),
    ("卢", 2),
    ("蒙", 2),
    ("农", 2),
    ("陆", 2),
    ("许", 1),
    ("唐", 1),
    ("潘", 1),
    ("赖", 1),
    ("彭", 1),
    ("廖", 1),
    ("徐", 1),
    ("孙", 1),
    ("胡", 1),
    ("郭", 1),
    ("姚", 1),
    ("甘", 1),
    ("凌", 1),
    ("颜", 1),
    ("邱", 1),
    ("温", 1),
    ("丁", 1),
    ("秦", 1),
    ("马", 1),
]
_SURNAME_CUM = list(accumulate(weight for _, weight in SURNAMES))

GIVEN_MALE = "伟强军平勇杰涛明辉华斌超波鹏志刚健林峰宇浩俊文海东国建荣庆锋振翔毅昌德福贵源锦坤盛光远成武胜祥安康永冠广宏"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞燕玲红梅萍琳婷雪慧莉英兰凤洁琴云秀珍桂莲香倩媛怡晓蓉玉佳欣颖春"

# Prefixes of mainland mobile numbers (11 digits in all).
PHONE_PREFIXES = [
    *(str(n) for n in range(130, 140) if n != 134),
    *(str(n) for n in range(150, 160) if n != 154),
    *(str(n) for n in (177, 178, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 193, 199)),
]


@dataclass(frozen=True)
class Person:
    name: str
    phone: str
    since: date  # start of the demo post


def person(seed: int, username: str) -> Person:
    rng = random.Random(f"{seed}:person:{username}")
    surname = rng.choices([s for s, _ in SURNAMES], cum_weights=_SURNAME_CUM)[0]
    pool = GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE
    if rng.random() < 0.75:  # most names have three characters
        first, second = rng.sample(pool, 2)
        given = first + second
    else:
        given = rng.choice(pool)
    phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    since = date(*config.STAFF_SINCE) + timedelta(days=rng.randrange(config.STAFF_SPAN_DAYS))
    return Person(name=surname + given, phone=phone, since=since)
