//! Reference data of the generator: districts, ethnic groups (GB/T 3304) with their
//! weights and home prefectures, and the pieces names are made of.
//!
//! The tables are those of `bench/gen_population.py`, so both generators model the same
//! population.

/// How names of a group are written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NameStyle {
    /// Surname + one or two given-name characters (most groups).
    Han,
    /// 名·父名 (Uyghur, Kazakh, Kyrgyz, ...).
    Uyghur,
    /// Two Tibetan name parts (扎西次仁).
    Tibetan,
    /// One Mongol name, or Han-style half of the time.
    Mongol,
}

/// A county-level division the city is made of (区/县级市), GB/T 2260 code.
pub struct District {
    /// 6-digit code, e.g. `320505`.
    pub code: &'static str,
    /// Name, e.g. 虎丘区.
    pub name: &'static str,
    /// Opens on the 2012-09-01 reorganisation (姑苏区).
    pub opens_at_reorg: bool,
    /// Closes on the 2012-09-01 reorganisation (沧浪区, 平江区).
    pub closes_at_reorg: bool,
    /// Share of migrants (流动人口) among its residents.
    pub migrant_share: f64,
    /// Relative population size; 0 = gets no streets of its own.
    pub size: f64,
    /// Share of its streets that are towns (镇) rather than 街道.
    pub town_share: f64,
}

const fn district(
    code: &'static str,
    name: &'static str,
    opens_at_reorg: bool,
    closes_at_reorg: bool,
    migrant_share: f64,
    size: f64,
    town_share: f64,
) -> District {
    District {
        code,
        name,
        opens_at_reorg,
        closes_at_reorg,
        migrant_share,
        size,
        town_share,
    }
}

/// 苏州市, the city at the top of the hierarchy.
pub const CITY: (&str, &str) = ("320500", "苏州市");

/// The districts, in output order.  姑苏区 receives only the streets of the two closed
/// districts.
pub const DISTRICTS: &[District] = &[
    district("320502", "沧浪区", false, true, 0.30, 0.9, 0.0),
    district("320503", "平江区", false, true, 0.30, 0.9, 0.0),
    district("320505", "虎丘区", false, false, 0.45, 1.0, 0.3),
    district("320506", "吴中区", false, false, 0.40, 1.1, 0.5),
    district("320507", "相城区", false, false, 0.42, 0.9, 0.5),
    district("320508", "姑苏区", true, false, 0.30, 0.0, 0.0),
    district("320509", "吴江区", false, false, 0.38, 1.0, 0.7),
    district("320571", "苏州工业园区", false, false, 0.52, 1.4, 0.2),
    district("320581", "常熟市", false, false, 0.36, 0.9, 0.7),
    district("320582", "张家港市", false, false, 0.40, 0.8, 0.7),
    district("320583", "昆山市", false, false, 0.50, 1.3, 0.6),
    district("320585", "太仓市", false, false, 0.38, 0.7, 0.7),
];

/// The district that receives the streets of the closed ones.
pub const MERGED_INTO: &str = "320508";

/// Characters synthetic place names are drawn from (two distinct ones per name).
pub const PLACE_CHARS: &str =
    "金桥湖山塘枫虎丘石湾华新东西南北阳澄娄葑胥盘沧平江锦绣园林溪泾浜港浦亭庄陆\
甪直唯胜横狮通安望渚光福太越香雪海吴淞星月亮桃花坞彩白洋留虹玉兰凤凰春申宝带\
长青竹梅荷柳松鹤龙泉清河文昌德兴盛和顺康乐富民嘉定泰元丰瑞祥云开鸿运翠";

/// An ethnic group of GB/T 3304-1991.
pub struct Ethnicity {
    /// 2-digit code.
    pub code: &'static str,
    /// Chinese name as written in ledgers, e.g. 回族.
    pub name: &'static str,
    /// Relative frequency among the city's minority residents (0 = never drawn).
    pub weight: f64,
    /// How names are written.
    pub style: NameStyle,
    /// Home prefectures (4-digit GB/T 2260 prefixes), space separated.
    pub homes: &'static str,
}

const fn eth(
    code: &'static str,
    name: &'static str,
    weight: f64,
    style: NameStyle,
    homes: &'static str,
) -> Ethnicity {
    Ethnicity {
        code,
        name,
        weight,
        style,
        homes,
    }
}

use NameStyle::{Han, Mongol, Tibetan, Uyghur};

/// The 55 minority groups (汉族 01 is never generated), skewed towards groups common in
/// an eastern Chinese city.
pub const ETHNICITIES: &[Ethnicity] = &[
    eth(
        "02",
        "蒙古族",
        5.0,
        Mongol,
        "1501 1502 1504 1505 1507 1525 2109",
    ),
    eth(
        "03",
        "回族",
        22.0,
        Han,
        "6401 6403 6404 6229 6301 4101 4102 3701 3201 5325",
    ),
    eth(
        "04",
        "藏族",
        2.0,
        Tibetan,
        "5401 5402 5133 5132 6230 6326 5334 6327",
    ),
    eth(
        "05",
        "维吾尔族",
        2.5,
        Uyghur,
        "6501 6531 6532 6529 6504 6540",
    ),
    eth(
        "06",
        "苗族",
        11.0,
        Han,
        "5226 5227 5223 4331 4312 5325 4502 5001",
    ),
    eth("07", "彝族", 4.0, Han, "5134 5323 5325 5205 5301"),
    eth("08", "壮族", 8.0, Han, "4501 4502 4510 4512 4514 5326"),
    eth("09", "布依族", 4.5, Han, "5227 5223 5204 5201"),
    eth("10", "朝鲜族", 2.5, Han, "2224 2201 2101 2301"),
    eth(
        "11",
        "满族",
        9.0,
        Han,
        "2101 2105 2106 2114 2201 1308 1101 2301",
    ),
    eth("12", "侗族", 4.0, Han, "5226 4312 4502"),
    eth("13", "瑶族", 2.0, Han, "4511 4310 4418 4512"),
    eth("14", "白族", 1.5, Han, "5329 5333 4308"),
    eth("15", "土家族", 10.0, Han, "4331 4228 4308 5001 5206 4205"),
    eth("16", "哈尼族", 0.6, Han, "5325 5308 5328"),
    eth("17", "哈萨克族", 0.5, Uyghur, "6540 6542 6543 6501"),
    eth("18", "傣族", 0.5, Han, "5328 5331 5308"),
    eth("19", "黎族", 0.6, Han, "4690 4602 4601"),
    eth("20", "傈僳族", 0.3, Han, "5333 5331"),
    eth("21", "佤族", 0.25, Han, "5309 5308"),
    eth("22", "畲族", 1.2, Han, "3311 3509 3303"),
    eth("23", "高山族", 0.0, Han, "3501"),
    eth("24", "拉祜族", 0.2, Han, "5308 5309"),
    eth("25", "水族", 0.5, Han, "5227"),
    eth("26", "东乡族", 0.3, Han, "6229"),
    eth("27", "纳西族", 0.3, Han, "5307"),
    eth("28", "景颇族", 0.1, Han, "5331"),
    eth("29", "柯尔克孜族", 0.08, Uyghur, "6530"),
    eth("30", "土族", 0.3, Han, "6302 6301"),
    eth("31", "达斡尔族", 0.15, Mongol, "1507 2302"),
    eth("32", "仫佬族", 0.2, Han, "4512"),
    eth("33", "羌族", 0.3, Han, "5132 5107"),
    eth("34", "布朗族", 0.05, Han, "5328 5309"),
    eth("35", "撒拉族", 0.12, Han, "6302 6229"),
    eth("36", "毛南族", 0.1, Han, "4512"),
    eth("37", "仡佬族", 0.6, Han, "5203 5204"),
    eth("38", "锡伯族", 0.2, Han, "6540 2101"),
    eth("39", "阿昌族", 0.02, Han, "5331"),
    eth("40", "普米族", 0.02, Han, "5307 5333"),
    eth("41", "塔吉克族", 0.0, Uyghur, "6531"),
    eth("42", "怒族", 0.02, Han, "5333"),
    eth("43", "乌孜别克族", 0.02, Uyghur, "6501 6540"),
    eth("44", "俄罗斯族", 0.03, Han, "6540 6542 1507"),
    eth("45", "鄂温克族", 0.02, Mongol, "1507"),
    eth("46", "德昂族", 0.01, Han, "5331"),
    eth("47", "保安族", 0.01, Han, "6229"),
    eth("48", "裕固族", 0.01, Han, "6207"),
    eth("49", "京族", 0.03, Han, "4506"),
    eth("50", "塔塔尔族", 0.0, Uyghur, "6501"),
    eth("51", "独龙族", 0.0, Han, "5333"),
    eth("52", "鄂伦春族", 0.0, Mongol, "1507 2311"),
    eth("53", "赫哲族", 0.0, Han, "2308"),
    eth("54", "门巴族", 0.0, Tibetan, "5404"),
    eth("55", "珞巴族", 0.0, Tibetan, "5404"),
    eth("56", "基诺族", 0.005, Han, "5328"),
];

/// Synthetic county suffixes appended to a home prefecture.
pub const COUNTY_SUFFIXES: &[&str] = &["02", "03", "04", "21", "22", "23", "24", "25", "26", "27"];

/// Common surnames, most frequent first (drawn with a skew towards the front).
pub const GENERIC_SURNAMES: &str =
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁\
蔡蒋余于杜叶程魏苏吕丁任卢沈姚钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯\
江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文";

/// Surnames typical of a group (repetition = weight); groups not listed use
/// [`GENERIC_SURNAMES`].
pub const GROUP_SURNAMES: &[(&str, &str)] = &[
    ("03", "马马马马李王杨张白丁沙哈穆纳海冯金米苏兰余刘"),
    ("10", "金金金朴朴李李崔郑姜赵尹张林韩申吴徐权黄安宋全洪"),
    ("11", "关佟那富郎赵金肖何傅罗唐伊舒鄂王张刘"),
    ("08", "韦韦覃覃黄莫陆蒙农梁卢蓝潘李"),
    ("06", "龙杨杨吴石麻王田张熊陶侯"),
    ("15", "向田彭覃冉张黄李谭杨邓王"),
    ("07", "阿沙吉马罗李普毕杨王陈"),
    ("12", "吴杨石龙欧粟潘陆姚"),
    ("09", "王罗韦陆黄杨班岑吴"),
    ("14", "段杨赵李张董尹字王"),
    ("13", "盘赵邓黄李冯蓝唐奉"),
    ("22", "蓝雷钟李吴"),
    ("02", "包白韩王宝吴乌"),
];

/// Given-name characters for men.
pub const MALE_GIVEN: &str =
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林峰建国文成志东海亮";
/// Given-name characters for women.
pub const FEMALE_GIVEN: &str = "芳娜敏静丽艳娟霞秀玲桂英燕红梅琳雪倩婷颖洁慧莉萍琴云兰凤佳欣怡晶月";

/// Uyghur-style male names (also the father's-name part).
pub const UY_MALE: &[&str] = &[
    "买买提",
    "艾力",
    "阿不都热合曼",
    "吐尔逊",
    "努尔",
    "艾买提",
    "热合曼",
    "阿里木",
    "伊力哈木",
    "麦麦提",
    "亚森",
    "依明",
    "库尔班",
    "吾买尔",
    "帕尔哈提",
    "叶尔兰",
    "努尔兰",
    "别克",
    "阿斯哈尔",
];
/// Uyghur-style female names.
pub const UY_FEMALE: &[&str] = &[
    "古丽",
    "阿依古丽",
    "热依拉",
    "帕提古丽",
    "迪丽努尔",
    "努尔古丽",
    "阿娜尔古丽",
    "米热古丽",
    "再努尔",
    "布维",
    "阿依努尔",
    "古丽娜尔",
];
/// Tibetan male name parts.
pub const TB_MALE: &[&str] = &[
    "扎西", "次仁", "多吉", "顿珠", "平措", "旺堆", "格桑", "索朗", "达瓦", "尼玛", "拉巴", "边巴",
    "普布", "巴桑", "洛桑", "丹增",
];
/// Tibetan female name parts.
pub const TB_FEMALE: &[&str] = &[
    "卓玛", "央金", "拉姆", "德吉", "曲珍", "措姆", "白玛", "央宗", "次珍", "格桑", "达瓦", "尼玛",
];
/// Mongol male names.
pub const MG_MALE: &[&str] = &[
    "巴特尔",
    "额尔敦",
    "苏和",
    "宝音",
    "朝鲁",
    "孟和",
    "那日苏",
    "巴雅尔",
    "布和",
    "乌力吉",
    "特木尔",
    "哈斯",
    "毕力格",
    "阿拉坦",
];
/// Mongol female names.
pub const MG_FEMALE: &[&str] = &[
    "其其格",
    "萨仁",
    "乌兰",
    "斯琴",
    "娜仁",
    "高娃",
    "图雅",
    "塔娜",
    "托娅",
    "格日勒",
    "苏日娜",
];
