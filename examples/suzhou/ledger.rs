//! A sample ledger (台账) for the Suzhou example: GB18030, a title row above Chinese
//! headers, a total row — and a few deliberately bad rows. Deterministic.

use shiliu::codes::id_number::check_character;

/// Communities of the sample (name paths as staff write them) and their arrival years.
const PLACES: [&str; 3] = [
    "沧浪街道/道前社区",
    "沧浪街道/锦帆路社区",
    "双塔街道/百步街社区",
];

const PEOPLE: [(&str, &str, &str, &str); 12] = [
    ("马建国", "男", "回族", "640104"),
    ("金英子", "女", "朝鲜族", "222401"),
    ("关文", "男", "满族", "210102"),
    ("龙梅", "女", "苗族", "522601"),
    ("韦强", "男", "壮族", "450102"),
    ("向红", "女", "土家族", "433101"),
    ("阿依古丽", "女", "维吾尔族", "650102"),
    ("扎西", "男", "藏族", "540102"),
    ("白玉兰", "女", "蒙古族", "150102"),
    ("吴刚", "男", "侗族", "522601"),
    ("蓝月", "女", "畲族", "331102"),
    ("杨志", "男", "白族", "532901"),
];

/// A valid ID number for a person born on `birth` (YYYYMMDD) with sequence `seq`.
fn id_number(region: &str, birth: &str, seq: u32, male: bool) -> String {
    let seq = if male { seq * 2 + 1 } else { seq * 2 + 2 };
    let first17 = format!("{region}{birth}{:03}", seq % 1000);
    let check = check_character(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// The ledger's text (UTF-8; the example writes it as GB18030).
pub fn text() -> String {
    let mut out = String::from("苏州市姑苏区少数民族居民台账（示例）,,,,,,,,,,\n");
    out.push_str(
        "序号,姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间\n",
    );
    let mut n = 0;
    for (i, (name, sex, ethnicity, region)) in PEOPLE.iter().enumerate() {
        n += 1;
        let year = 1960 + (i as u32 * 3) % 45;
        let birth = format!("{year}{:02}{:02}", 1 + i % 12, 1 + (i * 7) % 28);
        let migrant = i % 3 != 0;
        let id = id_number(
            if migrant { region } else { "320508" },
            &birth,
            i as u32,
            *sex == "男",
        );
        let arrived = format!("{}-{:02}-01", 2000 + (i * 2) % 24, 1 + i % 12);
        out.push_str(&format!(
            "{n},{name},{sex},{ethnicity},{id},{}-{}-{},139{:08},{},{},{},{arrived}\n",
            &birth[..4],
            &birth[4..6],
            &birth[6..],
            10_000_000 + i * 7_919,
            PLACES[i % PLACES.len()],
            if migrant { "流动" } else { "户籍" },
            if migrant { *region } else { "" },
        ));
    }
    // A row naming the community by its 2003 path (府前街道 merged away in 2004): it
    // resolves for its date. Without an ID number, its identity match is uncertain.
    n += 1;
    out.push_str(&format!(
        "{n},钱七,男,回族,,1975-05-05,,府前街道/道前社区,户籍,,2003-05-01\n"
    ));
    // Deliberately bad rows, as ledgers have them.
    let bad = [
        "马小明,男,回族,1.10105E+17,1990-01-01,13912345678,沧浪街道/道前社区,流动,640104,2015-05-01",
        "李四,男,火星族,,1990-01-01,,沧浪街道/道前社区,流动,,2015-05-01",
        "王五,女,满族,,1991-02-30,,沧浪街道/道前社区,户籍,,2016-01-01",
        "赵六,男,回族,,1980-01-01,,府前街道/道前社区,流动,,2019-01-01",
    ];
    for row in bad {
        n += 1;
        out.push_str(&format!("{n},{row}\n"));
    }
    out.push_str(&format!("合计,{n}人,,,,,,,,,\n"));
    out
}
