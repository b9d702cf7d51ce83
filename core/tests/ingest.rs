//! Integration tests for `shiliu::ingest`: real files in a temporary directory.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::NaiveDate;
use proptest::prelude::*;
use shiliu::ingest::{
    excel_mangled_id, parse_date, read_table, Encoding, Format, ReadOptions, Sheet, SheetSelection,
    SkipReason, LEDGER_FIELDS,
};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "shiliu-ingest-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().into_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const LEDGER: &str = "XX社区少数民族居民台账（2024年）,,,,,,,,,,
序号,姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,来苏时间,备注
1,张三,男,回族,11010519491231002X,1949-12-31,13812345678,一社区,户籍,2010年5月1日,

2,李四,女,维吾尔族,650102198501010021,1985/1/1,0512-65123456,一社区,流动,20200301,新迁入
合计,,,,,,,,,,2人
序号,姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,来苏时间,备注
3,马六,男,回族,110105194912310000,45356,138 1234 5678,一社区,暂住,2024.3.5,\"两行
备注\"
制表人：赵七
";

fn read(path: &str, options: &ReadOptions) -> Vec<Sheet> {
    read_table(path, LEDGER_FIELDS, options).unwrap()
}

fn rows(s: &Sheet) -> Vec<usize> {
    s.rows.iter().map(|r| r.row).collect()
}

fn check_ledger(s: &Sheet, encoding: &str) {
    assert_eq!(s.file, "台账.csv");
    assert_eq!(s.sheet, None);
    assert_eq!(s.encoding, encoding);
    assert_eq!(s.header_row, 2);
    let fields: Vec<_> = s.columns.iter().map(|c| c.field).collect();
    assert_eq!(
        fields,
        [
            None,
            Some("name"),
            Some("sex"),
            Some("ethnicity"),
            Some("id_number"),
            Some("birth_date"),
            Some("phone"),
            Some("community"),
            Some("category"),
            Some("arrived_on"),
            None
        ]
    );
    assert_eq!(rows(s), [3, 5, 8]);
    let skipped: Vec<_> = s
        .skipped
        .iter()
        .map(|k| (k.row, k.reason, k.text.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (4, SkipReason::Blank, ""),
            (6, SkipReason::Total, "合计"),
            (7, SkipReason::RepeatedHeader, "序号"),
            (10, SkipReason::Note, "制表人：赵七"),
        ]
    );
    let r = &s.rows[0];
    assert_eq!(s.get(r, "name"), Some("张三"));
    assert_eq!(s.get(r, "arrived_on"), Some("2010年5月1日"));
    assert_eq!(s.get(r, "left_on"), None);
    assert_eq!(s.column_of("id_number"), Some("公民身份号码"));
    assert_eq!(s.column_of("origin"), None);
    let third = &s.rows[2];
    assert_eq!(third.cells[10], "两行\n备注");
    assert!(excel_mangled_id(s.get(third, "id_number").unwrap()));
    assert_eq!(
        parse_date(s.get(third, "birth_date").unwrap()),
        Ok(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap())
    );
    let unmapped: Vec<_> = s
        .warnings
        .iter()
        .filter(|w| w.code == "ingest.unmapped_column")
        .collect();
    assert_eq!(unmapped.len(), 2, "{:?}", s.warnings);
    assert!(s.bad_lines.is_empty());
    s.require(&["name", "id_number"]).unwrap();
    let err = s.require(&["name", "origin", "left_on"]).unwrap_err();
    assert!(err.to_string().contains("origin, left_on"), "{err}");
}

#[test]
fn gb18030_csv_ledger() {
    let dir = TempDir::new("gb");
    let bytes = encoding_rs::GB18030.encode(LEDGER).0.into_owned();
    assert!(std::str::from_utf8(&bytes).is_err());
    let path = dir.write("台账.csv", &bytes);
    let sheets = read(&path, &ReadOptions::default());
    assert_eq!(sheets.len(), 1);
    check_ledger(&sheets[0], "gb18030");
    // Explicit GBK gives the same; explicit UTF-8 fails naming the first bad row.
    let gbk = ReadOptions {
        encoding: Encoding::Gb18030,
        ..ReadOptions::default()
    };
    check_ledger(&read(&path, &gbk)[0], "gb18030");
    let utf8 = ReadOptions {
        encoding: Encoding::Utf8,
        ..ReadOptions::default()
    };
    let err = read_table(&path, LEDGER_FIELDS, &utf8).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid 台账.csv encoding: row 1 is not valid UTF-8"
    );
}

#[test]
fn utf8_bom_csv_ledger() {
    let dir = TempDir::new("bom");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(LEDGER.replace('\n', "\r\n").as_bytes());
    let path = dir.write("台账.csv", &bytes);
    check_ledger(&read(&path, &ReadOptions::default())[0], "utf-8");
    // The header row given explicitly.
    let opts = ReadOptions {
        header_row: Some(2),
        ..ReadOptions::default()
    };
    check_ledger(&read(&path, &opts)[0], "utf-8");
    // A wrong explicit header row: row 1 is the title; nothing maps.
    let opts = ReadOptions {
        header_row: Some(1),
        ..ReadOptions::default()
    };
    let s = &read(&path, &opts)[0];
    assert!(s.columns.iter().all(|c| c.field.is_none()));
}

#[test]
fn tab_separated_txt_and_synonyms() {
    let dir = TempDir::new("txt");
    let text = "姓名\t身份证号码\t手机号码\t居住地\t户籍所在地\t人口类别\t原籍\t迁入日期\t迁出日期\t困难类型\t出生年月日\t民族成份\n\
                张三\t11010519491231002X\t13812345678\t一社区\t北京\t流动\t新疆\t2020-01-01\t\t低保\t1949-12-31\t回族\n";
    let path = dir.write("ledger.txt", text.as_bytes());
    let s = &read(&path, &ReadOptions::default())[0];
    assert_eq!(s.header_row, 1);
    let fields: Vec<_> = s.columns.iter().map(|c| c.field.unwrap()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "id_number",
            "phone",
            "community",
            "registration",
            "category",
            "origin",
            "arrived_on",
            "left_on",
            "hardship",
            "birth_date",
            "ethnicity"
        ]
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.get(&s.rows[0], "hardship"), Some("低保"));
    assert_eq!(s.get(&s.rows[0], "left_on"), None);
}

#[test]
fn user_mapping_overrides_synonyms() {
    let dir = TempDir::new("map");
    let text = "姓名,民族,居住地,证件号\n张三,回族,北京市东城区,11010519491231002X\n";
    let path = dir.write("m.csv", text.as_bytes());
    let s = &read(&path, &ReadOptions::default())[0];
    assert_eq!(s.get(&s.rows[0], "community"), Some("北京市东城区"));
    assert_eq!(s.get(&s.rows[0], "id_number"), None);
    let opts: ReadOptions = serde_json::from_str(
        r#"{"mapping": {"居住地": "registration", "证件号（必填）": "id_number"}}"#,
    )
    .unwrap();
    let s = &read(&path, &opts)[0];
    assert_eq!(s.get(&s.rows[0], "registration"), Some("北京市东城区"));
    assert_eq!(s.get(&s.rows[0], "community"), None);
    assert_eq!(s.get(&s.rows[0], "id_number"), Some("11010519491231002X"));
    assert_eq!(s.column_of("id_number"), Some("证件号"));
    let bad = ReadOptions {
        mapping: vec![("居住地".into(), "address".into())],
        ..ReadOptions::default()
    };
    let err = read_table(&path, LEDGER_FIELDS, &bad).unwrap_err();
    assert!(
        err.to_string().contains("unknown field \"address\""),
        "{err}"
    );
}

#[test]
fn no_header_row_is_an_error() {
    let dir = TempDir::new("nohdr");
    let path = dir.write("x.csv", "a,b,c\n1,2,3\n".as_bytes());
    let err = read_table(&path, LEDGER_FIELDS, &ReadOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid x.csv header: no header row found: expected columns such as 姓名, 性别, 民族, 公民身份号码, …"
    );
    let err = read_table(
        &dir.path("missing.csv"),
        LEDGER_FIELDS,
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), 4002);
    let xls = dir.write("old.xls", b"\xD0\xCF\x11\xE0");
    let err = read_table(&xls, LEDGER_FIELDS, &ReadOptions::default()).unwrap_err();
    assert!(err.to_string().contains(".xls is not supported"), "{err}");
}

fn write_workbook(path: &str) {
    use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, FormatAlign, Workbook};
    let mut wb = Workbook::new();
    let title = XFormat::new().set_align(FormatAlign::Center);
    let date = XFormat::new().set_num_format("yyyy-mm-dd");
    let headers = [
        "序号",
        "姓名",
        "性别",
        "民族",
        "公民身份号码",
        "出生日期",
        "联系电话",
        "所属社区",
    ];
    let ws = wb.add_worksheet();
    ws.set_name("一社区").unwrap();
    ws.merge_range(0, 0, 0, 7, "XX社区少数民族居民台账（2024年）", &title)
        .unwrap();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    ws.write_number(2, 0, 1).unwrap();
    ws.write_string(2, 1, "张三").unwrap();
    ws.write_string(2, 2, "男").unwrap();
    ws.write_string(2, 3, "回族").unwrap();
    ws.write_number(2, 4, 110105194912310000.0).unwrap();
    ws.write_datetime_with_format(2, 5, ExcelDateTime::from_ymd(1949, 12, 31).unwrap(), &date)
        .unwrap();
    ws.write_number(2, 6, 13812345678.0).unwrap();
    ws.write_string(2, 7, "一社区").unwrap();
    ws.write_number(3, 0, 2).unwrap();
    ws.write_string(3, 1, "李四").unwrap();
    ws.write_string(3, 4, "11010519491231002X").unwrap();
    ws.write_string(3, 5, "1985.1.1").unwrap();
    ws.write_string(3, 7, "一社区").unwrap();
    ws.write_string(4, 0, "小计").unwrap();
    ws.write_number(4, 1, 2).unwrap();

    // Second sheet: nothing in rows 1–2, so the used range starts at row 3.
    let ws = wb.add_worksheet();
    ws.set_name("二社区").unwrap();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    ws.write_number(3, 0, 1).unwrap();
    ws.write_string(3, 1, "王五").unwrap();
    ws.write_string(3, 3, "满族").unwrap();
    ws.write_string(3, 7, "二社区").unwrap();

    let ws = wb.add_worksheet();
    ws.set_name("填表说明").unwrap();
    ws.write_string(0, 0, "请按要求填写").unwrap();
    wb.save(path).unwrap();
}

#[test]
fn xlsx_two_sheets() {
    let dir = TempDir::new("xlsx");
    let path = dir.path("台账.xlsx");
    write_workbook(&path);

    let first = read(&path, &ReadOptions::default());
    assert_eq!(first.len(), 1);
    let s = &first[0];
    assert_eq!(s.sheet.as_deref(), Some("一社区"));
    assert_eq!(s.encoding, "xlsx");
    assert_eq!(s.header_row, 2);
    assert_eq!(rows(s), [3, 4]);
    assert_eq!(
        s.skipped
            .iter()
            .map(|k| (k.row, k.reason, k.text.as_str()))
            .collect::<Vec<_>>(),
        [(5, SkipReason::Subtotal, "小计")]
    );
    let r = &s.rows[0];
    assert_eq!(r.cells[0], "1");
    let id = s.get(r, "id_number").unwrap();
    assert!(excel_mangled_id(id), "{id}");
    assert_eq!(s.get(r, "phone"), Some("13812345678"));
    assert_eq!(s.get(r, "birth_date"), Some("1949-12-31"));
    assert_eq!(s.get(&s.rows[1], "id_number"), Some("11010519491231002X"));
    assert!(!excel_mangled_id("11010519491231002X"));
    assert_eq!(
        parse_date(s.get(&s.rows[1], "birth_date").unwrap()),
        Ok(NaiveDate::from_ymd_opt(1985, 1, 1).unwrap())
    );

    let named = ReadOptions {
        sheet: SheetSelection::Named("二社区".into()),
        ..ReadOptions::default()
    };
    let s = &read(&path, &named)[0];
    assert_eq!(s.sheet.as_deref(), Some("二社区"));
    assert_eq!(s.header_row, 3);
    assert_eq!(rows(s), [4]);
    assert_eq!(s.get(&s.rows[0], "community"), Some("二社区"));
    assert_eq!(s.get(&s.rows[0], "sex"), None);

    let all = ReadOptions {
        sheet: SheetSelection::All,
        ..ReadOptions::default()
    };
    let sheets = read(&path, &all);
    let names: Vec<_> = sheets.iter().map(|s| s.sheet.as_deref().unwrap()).collect();
    assert_eq!(names, ["一社区", "二社区"]);
    assert!(sheets[0]
        .warnings
        .iter()
        .any(|w| w.code == "ingest.sheet_without_header" && w.message.contains("填表说明")));

    let missing = ReadOptions {
        sheet: SheetSelection::Named("三社区".into()),
        ..ReadOptions::default()
    };
    let err = read_table(&path, LEDGER_FIELDS, &missing).unwrap_err();
    assert!(
        err.to_string().contains("一社区, 二社区, 填表说明"),
        "{err}"
    );
    let notes = ReadOptions {
        sheet: SheetSelection::Named("填表说明".into()),
        ..ReadOptions::default()
    };
    let err = read_table(&path, LEDGER_FIELDS, &notes).unwrap_err();
    assert!(err.to_string().contains("no header row found"), "{err}");

    // A CSV forced to be read as XLSX is an error, not a panic.
    let csv = dir.write("a.csv", b"a,b\n");
    let forced = ReadOptions {
        format: Some(Format::Xlsx),
        ..ReadOptions::default()
    };
    assert!(read_table(&csv, LEDGER_FIELDS, &forced).is_err());
}

#[test]
fn json_lines_with_a_bad_line() {
    let dir = TempDir::new("jsonl");
    let text = concat!(
        "{\"姓名\":\"张三\",\"民族\":\"回族\",\"身份证号\":\"11010519491231002X\",\"手机\":13812345678}\n",
        "{\"姓名\":\"李四\",\"民族\":\"满族\",\"身份证号\":\"11010519491231002X\"\n",
        "\n",
        "{\"姓名\":\"马六\",\"民族\":null,\"来苏时间\":\"2024-03-05\"}\n",
    );
    let path = dir.write("p.ndjson", text.as_bytes());
    let s = &read(&path, &ReadOptions::default())[0];
    assert_eq!(s.header_row, 0);
    assert_eq!(rows(s), [1, 4]);
    assert_eq!(s.get(&s.rows[0], "phone"), Some("13812345678"));
    assert_eq!(s.get(&s.rows[1], "ethnicity"), None);
    assert_eq!(s.get(&s.rows[1], "arrived_on"), Some("2024-03-05"));
    assert_eq!(s.bad_lines.len(), 1);
    let bad = &s.bad_lines[0];
    assert_eq!((bad.row, bad.code.as_str()), (2, "ingest.bad_json"));
    assert!(!bad.reason.contains("1101"), "{}", bad.reason);
    assert_eq!(bad.value, None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn read_table_never_panics_on_random_bytes(
        bytes in prop::collection::vec(
            prop_oneof![
                any::<u8>(),
                Just(b','), Just(b'\n'), Just(b'"'), Just(b'\r'), Just(b'\t'),
                Just(0xD0), Just(0xD5),
            ],
            0..600,
        ),
        prefix in prop::sample::select(vec!["", "姓名,民族\n", "\u{FEFF}", "序号,姓名,性别\n"]),
    ) {
        let dir = TempDir::new("fuzz");
        let mut all = prefix.as_bytes().to_vec();
        all.extend(bytes);
        let path = dir.write("r.csv", &all);
        let _ = read_table(&path, LEDGER_FIELDS, &ReadOptions::default());
        let jsonl = dir.write("r.jsonl", &all);
        let _ = read_table(&jsonl, LEDGER_FIELDS, &ReadOptions::default());
    }

    #[test]
    fn parse_date_never_panics(s in "\\PC{0,30}", t in "[0-9０-９年月日号./\\- :T]{0,20}") {
        let _ = parse_date(&s);
        let _ = parse_date(&t);
    }

    #[test]
    fn parse_date_round_trips(days in 0i64..(365 * 400)) {
        let date = NaiveDate::from_ymd_opt(1800, 1, 1).unwrap() + chrono::Duration::days(days);
        let full_width: String = date
            .format("%Y年%-m月%-d日")
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
            .collect();
        let mut notations = vec![
            date.format("%Y-%m-%d").to_string(),
            date.format("%Y-%-m-%-d").to_string(),
            date.format("%Y/%-m/%-d").to_string(),
            date.format("%Y/%m/%d").to_string(),
            date.format("%Y.%-m.%-d").to_string(),
            date.format("%Y%m%d").to_string(),
            date.format("%Y年%-m月%-d日").to_string(),
            date.format("%Y年%m月%d号").to_string(),
            date.format(" %Y-%m-%d 00:00:00 ").to_string(),
            full_width,
        ];
        // Excel serials (1900 system), except 1800..=2100, which read as a bare year.
        let serial = if date >= NaiveDate::from_ymd_opt(1900, 3, 1).unwrap() {
            (date - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days()
        } else {
            (date - NaiveDate::from_ymd_opt(1899, 12, 31).unwrap()).num_days()
        };
        if (1..=99_999).contains(&serial) && !(1800..=2100).contains(&serial) {
            notations.push(serial.to_string());
            notations.push(format!("{serial}.0"));
        }
        for n in notations {
            prop_assert_eq!(parse_date(&n), Ok(date), "{:?}", n);
        }
    }
}
