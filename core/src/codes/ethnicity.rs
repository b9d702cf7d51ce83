//! 民族 — ethnic groups after GB/T 3304-1991 《中国各民族名称的罗马字母拼写法和代码》,
//! plus the two practice codes found in registers: 97 其他 and 98 外国血统中国籍人士.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{normalise, trim_input};
use crate::error::{Error, Parsed, Result, Warning};

/// One row of the table: numeric code, Chinese name, roman spelling, two-letter code.
struct Entry {
    number: u8,
    name: &'static str,
    roman: &'static str,
    alpha2: &'static str,
}

const fn e(number: u8, name: &'static str, roman: &'static str, alpha2: &'static str) -> Entry {
    Entry {
        number,
        name,
        roman,
        alpha2,
    }
}

/// GB/T 3304-1991 in code order (index = code − 1), then the practice codes 97 and 98.
static TABLE: [Entry; 58] = [
    e(1, "汉族", "Han", "HA"),
    e(2, "蒙古族", "Mongol", "MG"),
    e(3, "回族", "Hui", "HU"),
    e(4, "藏族", "Zang", "ZA"),
    e(5, "维吾尔族", "Uygur", "UG"),
    e(6, "苗族", "Miao", "MH"),
    e(7, "彝族", "Yi", "YI"),
    e(8, "壮族", "Zhuang", "ZH"),
    e(9, "布依族", "Buyei", "BY"),
    e(10, "朝鲜族", "Chosen", "CS"),
    e(11, "满族", "Man", "MA"),
    e(12, "侗族", "Dong", "DO"),
    e(13, "瑶族", "Yao", "YA"),
    e(14, "白族", "Bai", "BA"),
    e(15, "土家族", "Tujia", "TJ"),
    e(16, "哈尼族", "Hani", "HN"),
    e(17, "哈萨克族", "Kazak", "KZ"),
    e(18, "傣族", "Dai", "DA"),
    e(19, "黎族", "Li", "LI"),
    e(20, "傈僳族", "Lisu", "LS"),
    e(21, "佤族", "Va", "VA"),
    e(22, "畲族", "She", "SH"),
    e(23, "高山族", "Gaoshan", "GS"),
    e(24, "拉祜族", "Lahu", "LH"),
    e(25, "水族", "Sui", "SU"),
    e(26, "东乡族", "Dongxiang", "DX"),
    e(27, "纳西族", "Naxi", "NX"),
    e(28, "景颇族", "Jingpo", "JP"),
    e(29, "柯尔克孜族", "Kirgiz", "KG"),
    e(30, "土族", "Tu", "TU"),
    e(31, "达斡尔族", "Daur", "DU"),
    e(32, "仫佬族", "Mulao", "ML"),
    e(33, "羌族", "Qiang", "QI"),
    e(34, "布朗族", "Blang", "BL"),
    e(35, "撒拉族", "Salar", "SL"),
    e(36, "毛南族", "Maonan", "MN"),
    e(37, "仡佬族", "Gelao", "GL"),
    e(38, "锡伯族", "Xibe", "XB"),
    e(39, "阿昌族", "Achang", "AC"),
    e(40, "普米族", "Pumi", "PM"),
    e(41, "塔吉克族", "Tajik", "TA"),
    e(42, "怒族", "Nu", "NU"),
    e(43, "乌孜别克族", "Uzbek", "UZ"),
    e(44, "俄罗斯族", "Russ", "RS"),
    e(45, "鄂温克族", "Ewenki", "EW"),
    e(46, "德昂族", "Deang", "DE"),
    e(47, "保安族", "Bonan", "BN"),
    e(48, "裕固族", "Yugur", "YG"),
    e(49, "京族", "Gin", "GI"),
    e(50, "塔塔尔族", "Tatar", "TT"),
    e(51, "独龙族", "Derung", "DR"),
    e(52, "鄂伦春族", "Oroqen", "OR"),
    e(53, "赫哲族", "Hezhen", "HZ"),
    e(54, "门巴族", "Monba", "MB"),
    e(55, "珞巴族", "Lhoba", "LB"),
    e(56, "基诺族", "Jino", "JN"),
    e(97, "其他", "Other", ""),
    e(98, "外国血统中国籍人士", "Foreign origin", ""),
];

/// Extra notations accepted without a warning: English names used for foreign
/// audiences, common pinyin spellings and Chinese variants. Each names exactly one group.
const ALIASES: &[(&str, u8)] = &[
    ("han chinese", 1),
    ("mongolian", 2),
    ("tibetan", 4),
    ("uyghur", 5),
    ("uighur", 5),
    ("uigur", 5),
    ("bouyei", 9),
    ("buyi", 9),
    ("korean", 10),
    ("chaoxian", 10),
    ("manchu", 11),
    ("kazakh", 17),
    ("wa", 21),
    ("shui", 25),
    ("jingpho", 28),
    ("kyrgyz", 29),
    ("kirghiz", 29),
    ("mulam", 32),
    ("bulang", 34),
    ("xibo", 38),
    ("russian", 44),
    ("evenki", 45),
    ("de'ang", 46),
    ("baoan", 47),
    ("bao'an", 47),
    ("jing", 49),
    ("dulong", 51),
    ("hezhe", 53),
    ("menba", 54),
    ("luoba", 55),
    ("jinuo", 56),
    ("其它", 97),
    ("其他民族", 97),
    ("外国血统", 98),
];

/// Former names, accepted with the warning `ethnicity.legacy_name`.
const LEGACY: &[(&str, u8)] = &[
    ("崩龙族", 46), // renamed 德昂族 in 1985
    ("崩龙", 46),
    ("毛难族", 36), // renamed 毛南族 in 1986
    ("毛难", 36),
];

/// Warning code for a former name (崩龙族, 毛难族).
const WARN_LEGACY: &str = "ethnicity.legacy_name";
/// Warning code for the non-standard numeric codes 57 and 58.
const WARN_PRACTICE: &str = "ethnicity.practice_code";

/// An ethnic group (民族) by its GB/T 3304-1991 numeric code, or one of the practice
/// codes 97 其他 (other / undetermined) and 98 外国血统中国籍人士 (Chinese citizens of
/// foreign origin). Every value is one of these 58 codes.
///
/// Serialises as the two-digit code string (`"03"`); deserialises from any notation
/// [`Ethnicity::parse`] accepts (warnings are dropped there), or from a number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Ethnicity(u8);

/// A description of an ethnic group, for output (JSON, the C and Python faces).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EthnicityInfo {
    /// Two-digit code, e.g. `"03"`.
    pub code: String,
    /// Chinese name, e.g. `回族`.
    pub name: String,
    /// Roman spelling after GB/T 3304, e.g. `Hui`.
    pub roman: String,
    /// Two-letter code after GB/T 3304, e.g. `HU`; empty for 97 and 98.
    pub alpha2: String,
    /// Whether the group counts as a minority in headcounts (everything but 汉族).
    pub is_minority: bool,
    /// Whether the code is one of the 56 of GB/T 3304 (01..=56).
    pub is_standard: bool,
}

impl Ethnicity {
    /// 汉族, code 01.
    pub const HAN: Ethnicity = Ethnicity(1);
    /// 其他 (other / undetermined), practice code 97.
    pub const OTHER: Ethnicity = Ethnicity(97);
    /// 外国血统中国籍人士 (Chinese citizen of foreign origin), practice code 98.
    pub const FOREIGN_ORIGIN: Ethnicity = Ethnicity(98);

    /// The group with this numeric code: 1..=56 or 97, 98. Any other number gives
    /// `None` (57 and 58 are only accepted by [`Ethnicity::parse`], with a warning).
    pub fn from_code(code: u8) -> Option<Ethnicity> {
        match code {
            1..=56 | 97 | 98 => Some(Ethnicity(code)),
            _ => None,
        }
    }

    fn entry(self) -> &'static Entry {
        let index = match self.0 {
            97 => 56,
            98 => 57,
            n => usize::from(n.saturating_sub(1)).min(55),
        };
        &TABLE[index]
    }

    /// The numeric code (3 for 回族).
    pub fn number(self) -> u8 {
        self.0
    }

    /// The two-digit code (`"03"` for 回族).
    pub fn code(self) -> &'static str {
        const CODES: [&str; 58] = [
            "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
            "15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28",
            "29", "30", "31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42",
            "43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53", "54", "55", "56",
            "97", "98",
        ];
        match self.0 {
            97 => CODES[56],
            98 => CODES[57],
            n => CODES[usize::from(n.saturating_sub(1)).min(55)],
        }
    }

    /// The Chinese name (`回族`; `其他` and `外国血统中国籍人士` for 97 and 98).
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// The roman spelling after GB/T 3304 (`Hui`; `Other` and `Foreign origin` for 97, 98).
    pub fn roman(self) -> &'static str {
        self.entry().roman
    }

    /// The two-letter code after GB/T 3304 (`HU`); empty for 97 and 98.
    pub fn alpha2(self) -> &'static str {
        self.entry().alpha2
    }

    /// Whether this is one of the 56 groups of GB/T 3304 (codes 01..=56).
    pub fn is_standard(self) -> bool {
        (1..=56).contains(&self.0)
    }

    /// Whether a person of this group counts as a minority (少数民族) in headcounts:
    /// every group but 汉族, including 97 其他 and 98 外国血统中国籍人士.
    pub fn is_minority(self) -> bool {
        self.0 != 1
    }

    /// Whether this is an ethnic component (民族成份) for the statistic "number of
    /// distinct ethnic components" among minorities: one of the 55 standard minority
    /// groups (codes 02..=56). 汉族 is not a minority component, and 97 / 98 are not
    /// ethnic components at all. (See also [`Ethnicity::is_standard`].)
    pub fn is_component(self) -> bool {
        (2..=56).contains(&self.0)
    }

    /// The 56 standard groups of GB/T 3304 in code order (汉族 first).
    pub fn standard() -> impl Iterator<Item = Ethnicity> {
        (1..=56).map(Ethnicity)
    }

    /// All 58 values: the 56 standard groups, then 97 and 98.
    pub fn all() -> impl Iterator<Item = Ethnicity> {
        Ethnicity::standard().chain([Ethnicity::OTHER, Ethnicity::FOREIGN_ORIGIN])
    }

    /// A description for output.
    pub fn describe(self) -> EthnicityInfo {
        EthnicityInfo {
            code: self.code().to_owned(),
            name: self.name().to_owned(),
            roman: self.roman().to_owned(),
            alpha2: self.alpha2().to_owned(),
            is_minority: self.is_minority(),
            is_standard: self.is_standard(),
        }
    }

    /// Reads an ethnic group in any notation seen in ledgers:
    ///
    /// - the Chinese name with or without 族 (`回族`, `回`, `蒙古`, `维吾尔`);
    /// - the code with or without a leading zero (`03`, `3`);
    /// - the roman spelling or the two-letter code, in any case (`Hui`, `HUI`, `HU`, `hu`);
    /// - common English and pinyin alternates (`Korean` → 朝鲜族, `Tibetan` → 藏族,
    ///   `Manchu`, `Mongolian`, `Uyghur`/`Uighur`, `Bouyei`, `Kazakh`, `Kyrgyz`,
    ///   `Russian`, `Evenki` …);
    /// - 其他 / 其它 / `97` / `Other` and 外国血统中国籍人士 / 外国血统 / `98` / `Foreign origin`.
    ///
    /// Full-width characters and blanks (also U+3000, also between characters) are
    /// ignored. Accepted with a warning: the former names 崩龙族 / 崩龙 (→ 德昂族) and
    /// 毛难族 / 毛难 (→ 毛南族), warning `ethnicity.legacy_name`; the codes 57 (→ 97)
    /// and 58 (→ 98), warning `ethnicity.practice_code`.
    ///
    /// # Errors
    /// [`Error::InvalidEthnicity`] with the trimmed input when no rule matches.
    pub fn parse(input: &str) -> Result<Parsed<Ethnicity>> {
        let key = lookup_key(input);
        let unknown = || Error::InvalidEthnicity {
            input: trim_input(input).to_owned(),
        };
        if !key.is_empty() && key.len() <= 3 && key.bytes().all(|b| b.is_ascii_digit()) {
            let n: u16 = key.parse().map_err(|_| unknown())?;
            return match n {
                1..=56 | 97 | 98 => Ok(Parsed::clean(Ethnicity(n as u8))),
                57 | 58 => {
                    let value = Ethnicity(n as u8 + 40);
                    Ok(Parsed {
                        value,
                        warnings: vec![Warning::new(
                            WARN_PRACTICE,
                            format!(
                                "code {n} is a non-standard practice code, read as {} {}",
                                value.code(),
                                value.name()
                            ),
                        )],
                    })
                }
                _ => Err(unknown()),
            };
        }
        match index().get(&key) {
            Some(&(value, false)) => Ok(Parsed::clean(value)),
            Some(&(value, true)) => Ok(Parsed {
                value,
                warnings: vec![Warning::new(
                    WARN_LEGACY,
                    format!(
                        "former name of {} (code {}); the current name is used",
                        value.roman(),
                        value.code()
                    ),
                )],
            }),
            None => Err(unknown()),
        }
    }
}

/// The form every notation is compared in: normalised, all blanks removed, lower case.
fn lookup_key(s: &str) -> String {
    normalise(s, true).to_lowercase()
}

/// Every non-numeric notation with its group and whether it is a legacy name.
/// A key may appear more than once only for the same group (e.g. `li`, both the roman
/// spelling and the two-letter code of 黎族); a test checks this.
fn notations() -> Vec<(String, Ethnicity, bool)> {
    let mut out = Vec::new();
    for entry in &TABLE {
        let value = Ethnicity(entry.number);
        out.push((lookup_key(entry.name), value, false));
        if let Some(short) = entry.name.strip_suffix('族') {
            if !short.is_empty() {
                out.push((lookup_key(short), value, false));
            }
        }
        out.push((lookup_key(entry.roman), value, false));
        if !entry.alpha2.is_empty() {
            out.push((lookup_key(entry.alpha2), value, false));
        }
    }
    for &(alias, number) in ALIASES {
        out.push((lookup_key(alias), Ethnicity(number), false));
    }
    for &(legacy, number) in LEGACY {
        out.push((lookup_key(legacy), Ethnicity(number), true));
    }
    out
}

fn index() -> &'static HashMap<String, (Ethnicity, bool)> {
    static INDEX: OnceLock<HashMap<String, (Ethnicity, bool)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::new();
        for (key, value, legacy) in notations() {
            map.entry(key).or_insert((value, legacy));
        }
        map
    })
}

impl fmt::Display for Ethnicity {
    /// The Chinese name (`回族`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Ethnicity {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Ethnicity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Ethnicity;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ethnic group (code, name, roman spelling or two-letter code)")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Ethnicity, E> {
                Ethnicity::parse(v)
                    .map(|p| p.value)
                    .map_err(|e| E::custom(e.to_string()))
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Ethnicity, E> {
                self.visit_str(&v.to_string())
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Ethnicity, E> {
                self.visit_str(&v.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Parsed<Ethnicity> {
        match Ethnicity::parse(s) {
            Ok(p) => p,
            Err(e) => panic!("{s:?} did not parse: {e}"),
        }
    }

    fn clean(s: &str) -> Ethnicity {
        let parsed = p(s);
        assert!(
            parsed.warnings.is_empty(),
            "{s:?} warned: {:?}",
            parsed.warnings
        );
        parsed.value
    }

    fn warned(s: &str, code: &str) -> Ethnicity {
        let parsed = p(s);
        assert_eq!(parsed.warnings.len(), 1, "{s:?}");
        assert_eq!(parsed.warnings[0].code, code, "{s:?}");
        parsed.value
    }

    #[test]
    fn table_matches_domain_reference() {
        let spec = "01 汉族 Han HA · 02 蒙古族 Mongol MG · 03 回族 Hui HU · 04 藏族 Zang ZA · 05 维吾尔族 Uygur UG · 06 苗族 Miao MH ·
07 彝族 Yi YI · 08 壮族 Zhuang ZH · 09 布依族 Buyei BY · 10 朝鲜族 Chosen CS · 11 满族 Man MA · 12 侗族 Dong DO ·
13 瑶族 Yao YA · 14 白族 Bai BA · 15 土家族 Tujia TJ · 16 哈尼族 Hani HN · 17 哈萨克族 Kazak KZ · 18 傣族 Dai DA ·
19 黎族 Li LI · 20 傈僳族 Lisu LS · 21 佤族 Va VA · 22 畲族 She SH · 23 高山族 Gaoshan GS · 24 拉祜族 Lahu LH ·
25 水族 Sui SU · 26 东乡族 Dongxiang DX · 27 纳西族 Naxi NX · 28 景颇族 Jingpo JP · 29 柯尔克孜族 Kirgiz KG ·
30 土族 Tu TU · 31 达斡尔族 Daur DU · 32 仫佬族 Mulao ML · 33 羌族 Qiang QI · 34 布朗族 Blang BL · 35 撒拉族 Salar SL ·
36 毛南族 Maonan MN · 37 仡佬族 Gelao GL · 38 锡伯族 Xibe XB · 39 阿昌族 Achang AC · 40 普米族 Pumi PM ·
41 塔吉克族 Tajik TA · 42 怒族 Nu NU · 43 乌孜别克族 Uzbek UZ · 44 俄罗斯族 Russ RS · 45 鄂温克族 Ewenki EW ·
46 德昂族 Deang DE · 47 保安族 Bonan BN · 48 裕固族 Yugur YG · 49 京族 Gin GI · 50 塔塔尔族 Tatar TT ·
51 独龙族 Derung DR · 52 鄂伦春族 Oroqen OR · 53 赫哲族 Hezhen HZ · 54 门巴族 Monba MB · 55 珞巴族 Lhoba LB ·
56 基诺族 Jino JN";
        let rows: Vec<&str> = spec
            .split(['·', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(rows.len(), 56);
        let groups: Vec<Ethnicity> = Ethnicity::standard().collect();
        assert_eq!(groups.len(), 56);
        for (row, g) in rows.iter().zip(&groups) {
            let fields: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(fields, [g.code(), g.name(), g.roman(), g.alpha2()]);
            assert_eq!(g.code().parse::<u8>().ok(), Some(g.number()));
        }
    }

    #[test]
    fn every_group_round_trips_through_parse() {
        for g in Ethnicity::all() {
            assert_eq!(Ethnicity::from_code(g.number()), Some(g));
            assert_eq!(clean(g.code()), g);
            assert_eq!(clean(&g.number().to_string()), g);
            assert_eq!(clean(g.name()), g);
            assert_eq!(clean(g.roman()), g);
            assert_eq!(clean(&g.roman().to_uppercase()), g);
            assert_eq!(clean(&g.roman().to_lowercase()), g);
            if !g.alpha2().is_empty() {
                assert_eq!(clean(g.alpha2()), g);
                assert_eq!(clean(&g.alpha2().to_lowercase()), g);
            }
            if let Some(short) = g.name().strip_suffix('族') {
                assert_eq!(clean(short), g);
            }
        }
    }

    #[test]
    fn ledger_notations() {
        let hui = Ethnicity(3);
        for s in [
            "回族",
            "回",
            "03",
            "3",
            "Hui",
            "hui",
            "HUI",
            "HU",
            "hu",
            "０３",
            "３",
            "ＨＵ",
            "ｈｕｉ",
            "回族\u{3000}",
            "\u{3000}回族",
            "  03 ",
            "\t Hui\n",
            "回 族",
            "\u{00A0}HU\u{00A0}",
        ] {
            assert_eq!(clean(s), hui, "{s:?}");
        }
        assert_eq!(clean("Korean").name(), "朝鲜族");
        assert_eq!(clean("KOREAN").name(), "朝鲜族");
        assert_eq!(clean("tibetan").name(), "藏族");
        assert_eq!(clean("Tibetan").name(), "藏族");
        assert_eq!(clean("Manchu").name(), "满族");
        assert_eq!(clean("Mongolian").name(), "蒙古族");
        assert_eq!(clean("蒙古").name(), "蒙古族");
        assert_eq!(clean("维吾尔").name(), "维吾尔族");
        assert_eq!(clean("Uyghur").name(), "维吾尔族");
        assert_eq!(clean("Uighur").name(), "维吾尔族");
        assert_eq!(clean("Bouyei").name(), "布依族");
        assert_eq!(clean("Kazakh").name(), "哈萨克族");
        assert_eq!(clean("Kyrgyz").name(), "柯尔克孜族");
        assert_eq!(clean("Russian").name(), "俄罗斯族");
        assert_eq!(clean("Tajik").name(), "塔吉克族");
        assert_eq!(clean("Tatar").name(), "塔塔尔族");
        assert_eq!(clean("Han Chinese"), Ethnicity::HAN);
        assert_eq!(clean("汉"), Ethnicity::HAN);
        assert_eq!(clean("1"), Ethnicity::HAN);
        assert_eq!(clean("001"), Ethnicity::HAN);
        assert_eq!(clean("Li").name(), "黎族");
        assert_eq!(clean("LI").name(), "黎族");
        assert_eq!(clean("De'ang").name(), "德昂族");
    }

    #[test]
    fn practice_codes() {
        assert_eq!(clean("97"), Ethnicity::OTHER);
        assert_eq!(clean("98"), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(clean("其他"), Ethnicity::OTHER);
        assert_eq!(clean("其它"), Ethnicity::OTHER);
        assert_eq!(clean("Other"), Ethnicity::OTHER);
        assert_eq!(clean("外国血统中国籍人士"), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(clean("外国血统"), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(clean("Foreign origin"), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(clean("foreign  ORIGIN"), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(warned("57", WARN_PRACTICE), Ethnicity::OTHER);
        assert_eq!(warned("58", WARN_PRACTICE), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(warned("５８", WARN_PRACTICE), Ethnicity::FOREIGN_ORIGIN);
        assert_eq!(Ethnicity::from_code(57), None);
        assert_eq!(Ethnicity::from_code(0), None);
        assert_eq!(Ethnicity::from_code(99), None);
    }

    #[test]
    fn legacy_names_warn() {
        assert_eq!(warned("崩龙族", WARN_LEGACY).name(), "德昂族");
        assert_eq!(warned("崩龙", WARN_LEGACY).name(), "德昂族");
        assert_eq!(warned("毛难族", WARN_LEGACY).name(), "毛南族");
        assert_eq!(warned(" 毛难 ", WARN_LEGACY).name(), "毛南族");
        assert_eq!(clean("德昂族").number(), 46);
        assert_eq!(clean("毛南族").number(), 36);
    }

    #[test]
    fn unknown_inputs_fail_with_trimmed_input() {
        for (s, trimmed) in [
            ("", ""),
            ("  ", ""),
            ("0", "0"),
            ("00", "00"),
            (" 回族 x", "回族 x"),
        ] {
            match Ethnicity::parse(s) {
                Err(Error::InvalidEthnicity { input }) => assert_eq!(input, trimmed),
                other => panic!("{s:?}: {other:?}"),
            }
        }
        for s in [
            "59",
            "96",
            "99",
            "100",
            "256",
            "0003",
            "族",
            "火星族",
            "XX",
            "Klingon",
            "H",
            "回族族",
        ] {
            match Ethnicity::parse(&format!("\u{3000}{s} ")) {
                Err(Error::InvalidEthnicity { input }) => assert_eq!(input, s),
                other => panic!("{s:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn parse_table_is_unambiguous() {
        let mut seen: HashMap<String, Ethnicity> = HashMap::new();
        let mut count = 0;
        for (key, value, _) in notations() {
            count += 1;
            assert!(!key.is_empty());
            assert!(
                !key.bytes().all(|b| b.is_ascii_digit()),
                "{key} looks like a code"
            );
            if let Some(prev) = seen.insert(key.clone(), value) {
                assert_eq!(prev, value, "notation {key:?} names two groups");
            }
        }
        assert!(count > 58 * 3);
        // The only shared notations are roman spelling = two-letter code of one group.
        let shared: Vec<&str> = TABLE
            .iter()
            .filter(|e| e.roman.eq_ignore_ascii_case(e.alpha2))
            .map(|e| e.roman)
            .collect();
        assert_eq!(shared, ["Yi", "Li", "Va", "Tu", "Nu"]);
    }

    #[test]
    fn minority_component_standard() {
        assert!(!Ethnicity::HAN.is_minority());
        assert!(!Ethnicity::HAN.is_component());
        assert!(Ethnicity::HAN.is_standard());
        let hui = Ethnicity(3);
        assert!(hui.is_minority() && hui.is_component() && hui.is_standard());
        for g in [Ethnicity::OTHER, Ethnicity::FOREIGN_ORIGIN] {
            assert!(g.is_minority());
            assert!(!g.is_component());
            assert!(!g.is_standard());
            assert_eq!(g.alpha2(), "");
        }
        assert_eq!(Ethnicity::all().filter(|g| g.is_minority()).count(), 57);
        assert_eq!(Ethnicity::all().filter(|g| g.is_component()).count(), 55);
        assert_eq!(Ethnicity::standard().count(), 56);
        assert_eq!(
            Ethnicity::standard().last().map(|g| g.name()),
            Some("基诺族")
        );
    }

    #[test]
    fn serde_as_code() {
        let hui = Ethnicity(3);
        assert_eq!(serde_json::to_string(&hui).ok().as_deref(), Some("\"03\""));
        for s in ["\"03\"", "\"回族\"", "\"Hui\"", "\"hu\"", "3", "\"回\""] {
            let g: Ethnicity = match serde_json::from_str(s) {
                Ok(g) => g,
                Err(e) => panic!("{s}: {e}"),
            };
            assert_eq!(g, hui);
        }
        assert!(serde_json::from_str::<Ethnicity>("\"火星\"").is_err());
        assert!(serde_json::from_str::<Ethnicity>("-3").is_err());
        let v = serde_json::to_value(Ethnicity::OTHER.describe()).ok();
        assert_eq!(
            v,
            Some(
                serde_json::json!({"code": "97", "name": "其他", "roman": "Other", "alpha2": "",
                "is_minority": true, "is_standard": false})
            )
        );
        assert_eq!(hui.describe().name, "回族");
        assert_eq!(hui.to_string(), "回族");
    }
}
