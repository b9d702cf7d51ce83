#!/usr/bin/env python3
# (The project's copy of ../shared/bench/gen_population.py, for `make bench-stats`.)
"""gen_population.py - deterministic synthetic register of minority-ethnic residents.

Usage:
    gen_population.py --residents N --seed S --out DIR [--workers W]

Python 3.8+ standard library only (no numpy needed: 10,000,000 residents take
about 20 s on 2 cores, 83 MB RSS).  Output depends only on (N, seed): it is
byte-identical whatever --workers is and whichever CPython 3.x runs it (only
random.Random.random() and string seeding are used, both stable across
versions).  DIR/meta.json records the parameters, row counts and the SHA-256
of both CSV files so two machines can prove they benchmark the same data.

Files (UTF-8, no BOM, '\\n' line ends, one header row, comma separated; no
field ever contains a comma, quote or newline, so no quoting is used):

DIR/units.csv     code,name,level,parent_code,valid_from,valid_to
DIR/residents.csv id_number,name,sex,ethnicity,birth_date,unit_code,category,arrived_on,left_on
DIR/meta.json     parameters, counts, sha256

Modelling choices (read these before writing a query against the data):

* Hierarchy: city (6-digit code 320500) -> district (6 digits, GB/T 2260
  style, 3205xx) -> street (9 digits = district code + 3; 001-099 are
  街道, 100-199 are 镇) -> community (12 digits = street code + 3; 001-199
  社区居委会, 200-399 村委会).  The level column holds city / district / street
  / community.  Liaison areas (the level below community) are NOT generated.
  District names are borrowed from 苏州市 for flavour; every street and
  community name is synthetic, and the real 2012 history is simplified.
* Validity intervals are half-open: a row is valid on day D iff
  valid_from <= D and (valid_to is empty or D < valid_to).  All dates are
  ISO YYYY-MM-DD.  Units that existed from the start have valid_from
  1990-01-01.
* One reorganisation, on 2012-09-01: districts 320502 沧浪区 and 320503 平江区
  close (valid_to = 2012-09-01) and district 320508 姑苏区 opens
  (valid_from = 2012-09-01).  Every street of the two closed districts KEEPS
  ITS 9-DIGIT CODE and is represented by two rows with the same code: the
  old row (parent 320502/320503, valid_to 2012-09-01) and a new row (parent
  320508, valid_from 2012-09-01, valid_to empty).  So the key of units.csv is
  (code, valid_from), not code.  Communities are untouched (same single row,
  same parent street code).  Consequence: after 2012-09-01 a code's prefix
  no longer tells its district (3205020xx... rolls up to 320508); roll-ups
  must follow parent_code through the rows valid on the as-of date.
* Communities never close.  About 12% of them open later (new estates,
  valid_from between 1995 and 2022).  Every resident's unit_code is a
  community valid on arrived_on (and therefore on every later day).
* residents.csv:
  - id_number: 18-character resident identity number (GB 11643): 6-digit
    region code + birth date YYYYMMDD + 3-digit sequence (17th digit odd =
    male, even = female) + ISO 7064 MOD 11-2 check character ("10X98765432"
    indexed by sum(digit*weight) mod 11, weights 7,9,10,5,8,4,2,1,6,3,7,9,10,
    5,8,4,2).  Region = the local district code (the district of the
    community on the birth date) for residents born here, otherwise a
    county in a home area typical of the ethnicity (real prefecture codes,
    synthetic county suffix).  id_number is unique in the file.
  - sex: GB/T 2261.1 code, "1" male, "2" female (agrees with the ID).
  - ethnicity: GB/T 3304 2-digit code.  Only minorities are generated
    (never "01" Han).  Skewed towards groups common in an eastern Chinese
    city (Hui, Miao, Tujia, Manchu, Zhuang, Mongol, Bouyei, Yi, Dong, ...);
    8 smallest groups (23 Gaoshan, 41 Tajik, 50 Tatar, 51 Derung,
    52 Oroqen, 53 Hezhen, 54 Monba, 55 Lhoba) are never drawn, so at most
    47 distinct codes appear (all 47 from about N = 1,000,000 up).
  - category: "registered" (户籍) or "migrant" (流动), about 40% migrants
    (share varies by district).
  - birth_date <= arrived_on; residents born here have birth_date ==
    arrived_on.
  - arrived_on in 1990-01-01 .. 2026-10-31, density rising over time.
  - left_on empty for ~85% (still present), otherwise arrived_on <
    left_on <= 2026-10-31.
  - name: Chinese name; style depends on ethnicity (Han-style with
    group-typical surnames, Uyghur/Kazakh "名·父名", Tibetan, Mongol).
"""

import argparse
import bisect
import datetime as dt
import hashlib
import json
import math
import multiprocessing as mp
import os
import random
import sys
import time

GENERATOR_VERSION = 1

START = dt.date(1990, 1, 1)
END = dt.date(2026, 10, 31)          # last possible arrived_on / left_on
REORG = dt.date(2012, 9, 1)
BASE = dt.date(1900, 1, 1)            # day 0 of the date lookup tables
START_D = (START - BASE).days
END_D = (END - BASE).days
REORG_D = (REORG - BASE).days
NDAYS = END_D + 2

CITY = ("320500", "苏州市")
# code, name, valid_from, valid_to, migrant share, size factor, street kind mix (share of 镇)
DISTRICTS = [
    ("320502", "沧浪区", None, REORG, 0.30, 0.9, 0.0),
    ("320503", "平江区", None, REORG, 0.30, 0.9, 0.0),
    ("320505", "虎丘区", None, None, 0.45, 1.0, 0.3),
    ("320506", "吴中区", None, None, 0.40, 1.1, 0.5),
    ("320507", "相城区", None, None, 0.42, 0.9, 0.5),
    ("320508", "姑苏区", REORG, None, 0.30, 0.0, 0.0),  # gets the moved streets only
    ("320509", "吴江区", None, None, 0.38, 1.0, 0.7),
    ("320571", "苏州工业园区", None, None, 0.52, 1.4, 0.2),
    ("320581", "常熟市", None, None, 0.36, 0.9, 0.7),
    ("320582", "张家港市", None, None, 0.40, 0.8, 0.7),
    ("320583", "昆山市", None, None, 0.50, 1.3, 0.6),
    ("320585", "太仓市", None, None, 0.38, 0.7, 0.7),
]
MOVED_FROM = ("320502", "320503")
MOVED_TO = "320508"

PLACE_CHARS = ("金桥湖山塘枫虎丘石湾华新东西南北阳澄娄葑胥盘沧平江锦绣园林溪泾浜港浦亭庄陆"
               "甪直唯胜横狮通安望渚光福太越香雪海吴淞星月亮桃花坞彩白洋留虹玉兰凤凰春申宝带"
               "长青竹梅荷柳松鹤龙泉清河文昌德兴盛和顺康乐富民嘉定泰元丰瑞祥云开鸿运翠")

# GB/T 3304 code, name, weight, name style, home prefectures (GB/T 2260, 4 digits)
# name style: 0 Han-style, 1 Uyghur-style, 2 Tibetan, 3 Mongol
ETHNICITIES = [
    ("02", "蒙古族", 5.0, 3, "1501 1502 1504 1505 1507 1525 2109"),
    ("03", "回族", 22.0, 0, "6401 6403 6404 6229 6301 4101 4102 3701 3201 5325"),
    ("04", "藏族", 2.0, 2, "5401 5402 5133 5132 6230 6326 5334 6327"),
    ("05", "维吾尔族", 2.5, 1, "6501 6531 6532 6529 6504 6540"),
    ("06", "苗族", 11.0, 0, "5226 5227 5223 4331 4312 5325 4502 5001"),
    ("07", "彝族", 4.0, 0, "5134 5323 5325 5205 5301"),
    ("08", "壮族", 8.0, 0, "4501 4502 4510 4512 4514 5326"),
    ("09", "布依族", 4.5, 0, "5227 5223 5204 5201"),
    ("10", "朝鲜族", 2.5, 0, "2224 2201 2101 2301"),
    ("11", "满族", 9.0, 0, "2101 2105 2106 2114 2201 1308 1101 2301"),
    ("12", "侗族", 4.0, 0, "5226 4312 4502"),
    ("13", "瑶族", 2.0, 0, "4511 4310 4418 4512"),
    ("14", "白族", 1.5, 0, "5329 5333 4308"),
    ("15", "土家族", 10.0, 0, "4331 4228 4308 5001 5206 4205"),
    ("16", "哈尼族", 0.6, 0, "5325 5308 5328"),
    ("17", "哈萨克族", 0.5, 1, "6540 6542 6543 6501"),
    ("18", "傣族", 0.5, 0, "5328 5331 5308"),
    ("19", "黎族", 0.6, 0, "4690 4602 4601"),
    ("20", "傈僳族", 0.3, 0, "5333 5331"),
    ("21", "佤族", 0.25, 0, "5309 5308"),
    ("22", "畲族", 1.2, 0, "3311 3509 3303"),
    ("23", "高山族", 0.0, 0, "3501"),
    ("24", "拉祜族", 0.2, 0, "5308 5309"),
    ("25", "水族", 0.5, 0, "5227"),
    ("26", "东乡族", 0.3, 0, "6229"),
    ("27", "纳西族", 0.3, 0, "5307"),
    ("28", "景颇族", 0.1, 0, "5331"),
    ("29", "柯尔克孜族", 0.08, 1, "6530"),
    ("30", "土族", 0.3, 0, "6302 6301"),
    ("31", "达斡尔族", 0.15, 3, "1507 2302"),
    ("32", "仫佬族", 0.2, 0, "4512"),
    ("33", "羌族", 0.3, 0, "5132 5107"),
    ("34", "布朗族", 0.05, 0, "5328 5309"),
    ("35", "撒拉族", 0.12, 0, "6302 6229"),
    ("36", "毛南族", 0.1, 0, "4512"),
    ("37", "仡佬族", 0.6, 0, "5203 5204"),
    ("38", "锡伯族", 0.2, 0, "6540 2101"),
    ("39", "阿昌族", 0.02, 0, "5331"),
    ("40", "普米族", 0.02, 0, "5307 5333"),
    ("41", "塔吉克族", 0.0, 1, "6531"),
    ("42", "怒族", 0.02, 0, "5333"),
    ("43", "乌孜别克族", 0.02, 1, "6501 6540"),
    ("44", "俄罗斯族", 0.03, 0, "6540 6542 1507"),
    ("45", "鄂温克族", 0.02, 3, "1507"),
    ("46", "德昂族", 0.01, 0, "5331"),
    ("47", "保安族", 0.01, 0, "6229"),
    ("48", "裕固族", 0.01, 0, "6207"),
    ("49", "京族", 0.03, 0, "4506"),
    ("50", "塔塔尔族", 0.0, 1, "6501"),
    ("51", "独龙族", 0.0, 0, "5333"),
    ("52", "鄂伦春族", 0.0, 3, "1507 2311"),
    ("53", "赫哲族", 0.0, 0, "2308"),
    ("54", "门巴族", 0.0, 2, "5404"),
    ("55", "珞巴族", 0.0, 2, "5404"),
    ("56", "基诺族", 0.005, 0, "5328"),
]
COUNTY_SUFFIXES = ("02", "03", "04", "21", "22", "23", "24", "25", "26", "27")

GENERIC_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁"
                    "蔡蒋余于杜叶程魏苏吕丁任卢沈姚钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯"
                    "江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文")
GROUP_SURNAMES = {
    "03": "马马马马李王杨张白丁沙哈穆纳海冯金米苏兰余刘",
    "10": "金金金朴朴李李崔郑姜赵尹张林韩申吴徐权黄安宋全洪",
    "11": "关佟那富郎赵金肖何傅罗唐伊舒鄂王张刘",
    "08": "韦韦覃覃黄莫陆蒙农梁卢蓝潘李",
    "06": "龙杨杨吴石麻王田张熊陶侯",
    "15": "向田彭覃冉张黄李谭杨邓王",
    "07": "阿沙吉马罗李普毕杨王陈",
    "12": "吴杨石龙欧粟潘陆姚",
    "09": "王罗韦陆黄杨班岑吴",
    "14": "段杨赵李张董尹字王",
    "13": "盘赵邓黄李冯蓝唐奉",
    "22": "蓝雷钟李吴",
    "02": "包白韩王宝吴乌",
}
MALE_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国文成志东海亮"
FEMALE_GIVEN = "芳娜敏静丽艳娟霞秀玲桂英燕红梅琳雪倩婷颖洁慧莉萍琴云兰凤佳欣怡晶月"
UY_MALE = ("买买提", "艾力", "阿不都热合曼", "吐尔逊", "努尔", "艾买提", "热合曼", "阿里木", "伊力哈木",
           "麦麦提", "亚森", "依明", "库尔班", "吾买尔", "帕尔哈提", "叶尔兰", "努尔兰", "别克", "阿斯哈尔")
UY_FEMALE = ("古丽", "阿依古丽", "热依拉", "帕提古丽", "迪丽努尔", "努尔古丽", "阿娜尔古丽", "米热古丽",
             "再努尔", "布维", "阿依努尔", "古丽娜尔")
TB_MALE = ("扎西", "次仁", "多吉", "顿珠", "平措", "旺堆", "格桑", "索朗", "达瓦", "尼玛", "拉巴", "边巴",
           "普布", "巴桑", "洛桑", "丹增")
TB_FEMALE = ("卓玛", "央金", "拉姆", "德吉", "曲珍", "措姆", "白玛", "央宗", "次珍", "格桑", "达瓦", "尼玛")
MG_MALE = ("巴特尔", "额尔敦", "苏和", "宝音", "朝鲁", "孟和", "那日苏", "巴雅尔", "布和", "乌力吉",
           "特木尔", "哈斯", "毕力格", "阿拉坦")
MG_FEMALE = ("其其格", "萨仁", "乌兰", "斯琴", "娜仁", "高娃", "图雅", "塔娜", "托娅", "格日勒", "苏日娜")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SEQ_SLOTS = 499                       # k in 0..498: male seq 2k+1, female 2k+2
MAX_CHUNKS = 100


def id_check_char(first17):
    """GB 11643 / ISO 7064 MOD 11-2 check character for 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def _wsum(digits, weights):
    return sum(int(c) * w for c, w in zip(digits, weights))


def fmt_day(d):
    return (BASE + dt.timedelta(days=d)).isoformat()


# ---------------------------------------------------------------- units

def build_units(seed):
    """Return (rows, communities).  rows: tuples for units.csv.
    communities: list of dicts used by the resident generator."""
    rng = random.Random("gen_population/units/%d" % seed)
    r = rng.random
    start_s, reorg_s = START.isoformat(), REORG.isoformat()
    rows = [(CITY[0], CITY[1], "city", "", start_s, "")]
    communities = []
    used_street_names = set()

    def place_name(used):
        while True:
            n = PLACE_CHARS[int(r() * len(PLACE_CHARS))] + PLACE_CHARS[int(r() * len(PLACE_CHARS))]
            if n[0] != n[1] and n not in used:
                used.add(n)
                return n

    for dcode, dname, dfrom, dto, migr, size, town_share in DISTRICTS:
        rows.append((dcode, dname, "district", CITY[0],
                     (dfrom or START).isoformat(), dto.isoformat() if dto else ""))
        if size == 0.0:
            continue
        nstreets = 8 + int(r() * 5)                      # 8..12
        njd = nstreets - int(round(nstreets * town_share))
        for si in range(nstreets):
            is_town = si >= njd
            scode = dcode + ("%03d" % (100 + si - njd + 1) if is_town else "%03d" % (si + 1))
            sname = place_name(used_street_names) + ("镇" if is_town else "街道")
            if dcode in MOVED_FROM:
                rows.append((scode, sname, "street", dcode, start_s, reorg_s))
                rows.append((scode, sname, "street", MOVED_TO, reorg_s, ""))
            else:
                rows.append((scode, sname, "street", dcode, start_s, ""))
            ncomm = 10 + int(r() * 6)                     # 10..15
            nvill = int(ncomm * (0.3 + 0.4 * r())) if is_town else 0
            used_comm = set()
            for ci in range(ncomm):
                village = ci >= ncomm - nvill
                ccode = scode + ("%03d" % (200 + ci - (ncomm - nvill) + 1) if village else "%03d" % (ci + 1))
                cname = place_name(used_comm) + ("村" if village else "社区")
                vf = START_D
                if not village and r() < 0.12:          # newer estate
                    vf = (dt.date(1995 + int(r() * 28), 1 + int(r() * 12), 1) - BASE).days
                rows.append((ccode, cname, "community", scode, fmt_day(vf), ""))
                # log-normal-ish size, villages smaller
                w = size * math.exp(2.0 * (r() + r() + r() - 1.5)) * (0.5 if village else 1.0)
                communities.append({
                    "code": ccode, "w": w, "vf": vf, "migr": migr,
                    "dist_before": dcode,
                    "dist_after": MOVED_TO if dcode in MOVED_FROM else dcode,
                })
    return rows, communities


# ---------------------------------------------------------------- residents

_T = {}   # per-process tables, filled by _init_tables


def _init_tables(seed):
    if _T.get("seed") == seed:
        return
    _, comms = build_units(seed)
    cum, tot = [], 0.0
    for c in comms:
        tot += c["w"]
        cum.append(tot)
    _T["comm_cum"], _T["comm_tot"] = cum, tot
    _T["comm_code"] = [c["code"] for c in comms]
    _T["comm_vf"] = [c["vf"] for c in comms]
    _T["comm_migr"] = [c["migr"] for c in comms]
    _T["comm_db"] = [c["dist_before"] for c in comms]
    _T["comm_da"] = [c["dist_after"] for c in comms]
    ecum, etot = [], 0.0
    eth = [e for e in ETHNICITIES if e[2] > 0]
    for e in eth:
        etot += e[2]
        ecum.append(etot)
    _T["eth_cum"], _T["eth_tot"] = ecum, etot
    _T["eth_code"] = [e[0] for e in eth]
    _T["eth_style"] = [e[3] for e in eth]
    _T["eth_sur"] = [GROUP_SURNAMES.get(e[0], GENERIC_SURNAMES) for e in eth]
    _T["eth_regions"] = [[p + s for p in e[4].split() for s in COUNTY_SUFFIXES] for e in eth]
    regs = {d[0] for d in DISTRICTS}
    for lst in _T["eth_regions"]:
        regs.update(lst)
    _T["reg_w"] = {g: _wsum(g, ID_WEIGHTS[:6]) for g in regs}
    _T["reg_i"] = {g: int(g) for g in regs}
    days = [BASE + dt.timedelta(days=i) for i in range(NDAYS)]
    _T["d10"] = [d.isoformat() for d in days]
    d8 = [d.strftime("%Y%m%d") for d in days]
    _T["d8"] = d8
    _T["d8_w"] = [_wsum(s, ID_WEIGHTS[6:14]) for s in d8]
    _T["seq_s"] = ["%03d" % i for i in range(1000)]
    _T["seq_w"] = [_wsum("%03d" % i, ID_WEIGHTS[14:17]) for i in range(1000)]
    _T["seed"] = seed


def gen_chunk(args):
    """Generate rows [start, start+count) as UTF-8 bytes.  chunk/nchunks
    partition the ID sequence space so IDs are unique across chunks."""
    seed, chunk, nchunks, count = args
    _init_tables(seed)
    T = _T
    rng = random.Random("gen_population/residents/%d/%d" % (seed, chunk))
    r = rng.random
    bis = bisect.bisect_right
    comm_cum, comm_tot = T["comm_cum"], T["comm_tot"]
    comm_code, comm_vf, comm_migr = T["comm_code"], T["comm_vf"], T["comm_migr"]
    comm_db, comm_da = T["comm_db"], T["comm_da"]
    ncomm_last = len(comm_cum) - 1
    eth_cum, eth_tot = T["eth_cum"], T["eth_tot"]
    eth_code, eth_style, eth_sur, eth_regions = T["eth_code"], T["eth_style"], T["eth_sur"], T["eth_regions"]
    neth_last = len(eth_cum) - 1
    reg_w, reg_i = T["reg_w"], T["reg_i"]
    d10, d8, d8_w = T["d10"], T["d8"], T["d8_w"]
    seq_s, seq_w = T["seq_s"], T["seq_w"]
    gen_sur, mg, fg = GENERIC_SURNAMES, MALE_GIVEN, FEMALE_GIVEN
    n_gs, n_mg, n_fg = len(gen_sur), len(mg), len(fg)
    span = END_D - START_D + 1
    slots = {}
    out = []
    app = out.append
    for _ in range(count):
        ci = bis(comm_cum, r() * comm_tot)
        if ci > ncomm_last:
            ci = ncomm_last
        ei = bis(eth_cum, r() * eth_tot)
        if ei > neth_last:
            ei = neth_last
        migrant = r() < comm_migr[ci]
        male = r() < 0.52
        arr = START_D + int(span * r() ** 0.6)
        vf = comm_vf[ci]
        if arr < vf:
            arr = vf + int(r() * (END_D - vf + 1))
        # birth
        if not migrant and r() < 0.35:
            birth = arr                                       # born here
            region = comm_da[ci] if birth >= REORG_D else comm_db[ci]
        else:
            if migrant and r() < 0.12:
                age = int(r() * 18 * 365.25)
            else:
                age = int((18 + 44 * r() * r()) * 365.25 + r() * 365)
            birth = arr - age
            regs = eth_regions[ei]
            region = regs[int(r() * len(regs))]
        # unique ID: sequence slot k for (region, birth, sex) in this chunk's residue class
        while True:
            key = (reg_i[region] << 18 | birth) << 1 | male
            j = slots.get(key, 0)
            k = j * nchunks + chunk
            if k < SEQ_SLOTS:
                slots[key] = j + 1
                break
            birth -= 1                                        # practically never
            if birth < arr - 200 * 365:
                raise RuntimeError("ID space exhausted")
        seq = 2 * k + (1 if male else 2)
        idn = region + d8[birth] + seq_s[seq] + ID_CHECK[(reg_w[region] + d8_w[birth] + seq_w[seq]) % 11]
        # left
        if arr < END_D and r() < (0.22 if migrant else 0.10):
            left = d10[arr + 1 + int(r() * (END_D - arr))]
        else:
            left = ""
        # name
        st = eth_style[ei]
        if st == 0 or (st == 3 and r() < 0.5):
            sur = eth_sur[ei]
            if r() < 0.7:
                s = sur[int(r() * len(sur))]
            else:
                s = gen_sur[int(n_gs * r() * r())]
            if male:
                name = s + mg[int(r() * n_mg)] + (mg[int(r() * n_mg)] if r() < 0.7 else "")
            else:
                name = s + fg[int(r() * n_fg)] + (fg[int(r() * n_fg)] if r() < 0.7 else "")
        elif st == 1:
            lst = UY_MALE if male else UY_FEMALE
            name = lst[int(r() * len(lst))] + "·" + UY_MALE[int(r() * len(UY_MALE))]
        elif st == 2:
            lst = TB_MALE if male else TB_FEMALE
            name = lst[int(r() * len(lst))] + lst[int(r() * len(lst))]
        else:
            lst = MG_MALE if male else MG_FEMALE
            name = lst[int(r() * len(lst))]
        app("%s,%s,%s,%s,%s,%s,%s,%s,%s\n" % (
            idn, name, "1" if male else "2", eth_code[ei], d10[birth], comm_code[ci],
            "migrant" if migrant else "registered", d10[arr], left))
    return "".join(out).encode("utf-8")


def plan_chunks(n):
    chunk_rows = max(100_000, -(-n // MAX_CHUNKS))
    nchunks = max(1, -(-n // chunk_rows))
    counts = [chunk_rows] * (nchunks - 1) + [n - chunk_rows * (nchunks - 1)]
    return nchunks, counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args(argv)
    if a.residents < 0:
        ap.error("--residents must be >= 0")
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()

    rows, comms = build_units(a.seed)
    h_units = hashlib.sha256()
    upath = os.path.join(a.out, "units.csv")
    with open(upath, "wb") as f:
        data = ("code,name,level,parent_code,valid_from,valid_to\n" +
                "".join(",".join(x) + "\n" for x in rows)).encode("utf-8")
        h_units.update(data)
        f.write(data)

    nchunks, counts = plan_chunks(a.residents)
    jobs = [(a.seed, i, nchunks, c) for i, c in enumerate(counts) if c > 0]
    h_res = hashlib.sha256()
    rpath = os.path.join(a.out, "residents.csv")
    with open(rpath + ".tmp", "wb") as f:
        head = b"id_number,name,sex,ethnicity,birth_date,unit_code,category,arrived_on,left_on\n"
        f.write(head)
        h_res.update(head)
        if a.workers <= 1 or len(jobs) <= 1:
            results = map(gen_chunk, jobs)
            pool = None
        else:
            pool = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn").Pool(
                a.workers, initializer=_init_tables, initargs=(a.seed,))
            results = pool.imap(gen_chunk, jobs)
        done = 0
        for i, data in enumerate(results):
            f.write(data)
            h_res.update(data)
            done += jobs[i][3]
            if sys.stderr.isatty():
                print("\r%d/%d residents" % (done, a.residents), end="", file=sys.stderr)
        if pool is not None:
            pool.close()
            pool.join()
    os.replace(rpath + ".tmp", rpath)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    meta = {
        "generator": "gen_population.py", "version": GENERATOR_VERSION,
        "residents": a.residents, "seed": a.seed,
        "units_rows": len(rows), "communities": len(comms),
        "date_range": [START.isoformat(), END.isoformat()], "reorganisation": REORG.isoformat(),
        "sha256": {"units.csv": h_units.hexdigest(), "residents.csv": h_res.hexdigest()},
        "seconds": round(time.time() - t0, 2),
    }
    with open(os.path.join(a.out, "meta.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(json.dumps(meta, ensure_ascii=False))


if __name__ == "__main__":
    main()
