#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! Importing real-looking ledgers (台账) into the register: nothing lost, nothing leaked.

#[path = "../../examples/suzhou/network.rs"]
mod suzhou;

use std::path::{Path, PathBuf};

use shiliu::codes::id_number::check_character;
use shiliu::network::Hierarchy;
use shiliu::register::{
    ExportFormat, ImportMode, OnConflict, ResidentImportOptions, ResidentImportReport,
};
use shiliu::{ErrorKind, OpenOptions, Principal, Registry, Role};
use suzhou::d;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("shiliu-ledger-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A valid 18-character ID number from its first 17 characters.
fn id(first17: &str) -> String {
    format!("{first17}{}", check_character(first17).unwrap())
}

const HEADER: &str =
    "序号,姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间,离开时间";

fn good_rows() -> Vec<String> {
    vec![
        format!(
            "1,马小龙,男,回族,{},1990-05-01,13812345678,320502021017,流动,640104,2015/3/5,",
            id("64010419900501001")
        ),
        format!(
            "2,金美玉,女,朝鲜族,{},1985-02-03,13912345678,百步街社区,户籍,,2010年7月1日,",
            id("22240119850203002")
        ),
        // A 15-digit legacy number: upgraded, with a warning.
        "3,关山,男,满族,210102700101011,,13712345678,320502021017,户籍,,20080101,".to_string(),
        // A legacy ethnicity name: mapped, with a warning.
        format!(
            "4,岩温,男,崩龙族,{},1995-09-09,,320502021017,流动,533103,2019.6.1,",
            id("53310319950909003")
        ),
        // No ID number: matched on name, birth date, sex and community (uncertain).
        "5,阿依古丽,女,维吾尔族,,2000-01-01,,320502021017,流动,650102,2021-03-01,".to_string(),
    ]
}

fn bad_rows() -> Vec<String> {
    vec![
        "6,错一,男,回族,1.10105E+17,,,320502021017,流动,,2015-01-01,".to_string(),
        "7,错二,女,回族,110105194912310021,,,320502021017,流动,,2015-01-01,".to_string(),
        format!(
            "8,错三,男,火星族,{},,,320502021017,流动,,2015-01-01,",
            id("11010519800101001")
        ),
        format!(
            "9,错四,男,回族,{},,,320502021017,流动,,2024-02-30,",
            id("11010519800101003")
        ),
        format!(
            "10,错五,男,回族,{},,,不存在社区,流动,,2015-01-01,",
            id("11010519800101005")
        ),
        format!(
            "11,马小龙,男,回族,{},,,320502021017,流动,,2016-01-01,",
            id("64010419900501001")
        ),
    ]
}

/// A GB18030 ledger with a title row, a blank row, a total row and a note row.
fn write_gb18030(path: &str, rows: &[String]) {
    let mut text = String::from("道前社区少数民族居民台账（2024年）,,,,,,,,,,,\n");
    text.push_str(HEADER);
    text.push('\n');
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    text.push_str(",,,,,,,,,,,\n合计,11人,,,,,,,,,,\n制表人：张三,,,,,,,,,,,\n");
    let (bytes, _, bad) = encoding_rs::GB18030.encode(&text);
    assert!(!bad);
    std::fs::write(path, bytes).unwrap();
}

fn setup() -> (Registry, suzhou::Suzhou) {
    let reg = Registry::open_in_memory(OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&reg).unwrap();
    (reg, s)
}

fn import(reg: &Registry, path: &str) -> ResidentImportReport {
    let opts = ResidentImportOptions {
        path: path.into(),
        ..Default::default()
    };
    reg.import_residents(&opts, None).unwrap()
}

#[test]
fn a_gb18030_ledger_keeps_every_good_row_and_reports_every_bad_one() {
    let dir = Dir::new("gb");
    let path = dir.file("台账.csv");
    let mut rows = good_rows();
    rows.extend(bad_rows());
    write_gb18030(&path, &rows);
    let (reg, s) = setup();
    let mut calls = Vec::new();
    let mut progress = |p: shiliu::register::ImportProgress| {
        calls.push(p);
        true
    };
    let opts = ResidentImportOptions {
        path: path.clone(),
        ..Default::default()
    };
    let r = reg.import_residents(&opts, Some(&mut progress)).unwrap();
    assert_eq!(calls.last().map(|p| (p.done, p.total)), Some((11, 11)));
    assert_eq!(
        (r.rows_read, r.inserted, r.updated, r.unchanged),
        (11, 5, 0, 0)
    );
    assert!(r.transaction.is_some());
    // Rows as the file shows them: title row 1, header row 2, data from row 3.
    let rejected: Vec<(usize, &str, Option<&str>)> = r
        .rejected
        .iter()
        .map(|x| (x.row, x.code.as_str(), x.column.as_deref()))
        .collect();
    assert_eq!(
        rejected,
        [
            (8, "id_number.excel_mangled", Some("公民身份号码")),
            (9, "id_number.invalid", Some("公民身份号码")),
            (10, "ethnicity.unknown", Some("民族")),
            (11, "value.bad_date", Some("来苏时间")),
            (12, "community.unknown", Some("所属社区")),
            (13, "row.duplicate", Some("公民身份号码")),
        ]
    );
    assert!(r
        .rejected
        .iter()
        .all(|x| !x.message_zh.is_empty() && !x.message.is_empty()));
    // Nothing in the report carries a full ID number or phone.
    let json = serde_json::to_string(&r).unwrap();
    for secret in [
        "110105194912310021",
        "13812345678",
        &id("64010419900501001"),
    ] {
        assert!(!json.contains(secret), "{secret} leaked");
    }
    assert!(
        r.rejected[1].message.contains("should be X"),
        "{}",
        r.rejected[1].message
    );
    // Skipped rows and warnings.
    let skipped: Vec<(usize, String)> = r
        .skipped
        .iter()
        .map(|x| (x.skipped.row, format!("{:?}", x.skipped.reason)))
        .collect();
    assert!(skipped.contains(&(15, "Total".into())), "{skipped:?}");
    assert!(skipped.contains(&(16, "Note".into())), "{skipped:?}");
    let warn: Vec<(usize, &str)> = r
        .warnings
        .iter()
        .map(|w| (w.row, w.code.as_str()))
        .collect();
    assert!(warn.contains(&(5, "id_number.upgraded")), "{warn:?}");
    assert!(warn.contains(&(6, "ethnicity.legacy_name")), "{warn:?}");
    assert_eq!(r.uncertain_matches, [7]);
    // The residents are there, masked.
    let v = reg.view().unwrap();
    let list = v
        .residents(s.shuangta, d("2024-12-31"), &Hierarchy::Legal)
        .unwrap();
    assert_eq!(list.len(), 5);
    assert!(list.iter().all(|x| x.masked && x.name.contains('*')));
    let deang = list.iter().find(|x| x.ethnicity == "46").unwrap();
    assert_eq!(deang.ethnicity_name, "德昂族");
}

#[test]
fn reimports_change_nothing_even_shuffled_and_an_edit_changes_one() {
    let dir = Dir::new("again");
    let path = dir.file("a.csv");
    write_gb18030(&path, &good_rows());
    let (reg, _s) = setup();
    assert_eq!(import(&reg, &path).inserted, 5);
    let tx = reg.view().unwrap().transaction();
    let mut shuffled = good_rows();
    shuffled.reverse();
    shuffled.swap(0, 2);
    write_gb18030(&path, &shuffled);
    let again = import(&reg, &path);
    assert_eq!(
        (
            again.inserted,
            again.updated,
            again.unchanged,
            again.transaction
        ),
        (0, 0, 5, None)
    );
    assert_eq!(reg.view().unwrap().transaction(), tx);
    let mut edited = good_rows();
    edited[1] = edited[1].replace("13912345678", "13900001111");
    write_gb18030(&path, &edited);
    let once = import(&reg, &path);
    assert_eq!((once.inserted, once.updated, once.unchanged), (0, 1, 4));
    // Policies for existing residents.
    let skip = ResidentImportOptions {
        path: path.clone(),
        on_conflict: OnConflict::Skip,
        ..Default::default()
    };
    assert_eq!(
        reg.import_residents(&skip, None).unwrap().skipped_existing,
        5
    );
    let reject = ResidentImportOptions {
        path,
        on_conflict: OnConflict::Reject,
        ..Default::default()
    };
    let r = reg.import_residents(&reject, None).unwrap();
    assert_eq!(
        r.rejected
            .iter()
            .filter(|x| x.code == "resident.exists")
            .count(),
        5
    );
}

#[test]
fn a_snapshot_departs_the_missing_and_a_dry_run_writes_nothing() {
    let dir = Dir::new("snap");
    let path = dir.file("s.csv");
    write_gb18030(&path, &good_rows());
    let (reg, s) = setup();
    let dry = ResidentImportOptions {
        path: path.clone(),
        dry_run: true,
        ..Default::default()
    };
    let r = reg.import_residents(&dry, None).unwrap();
    assert_eq!((r.inserted, r.transaction), (5, None));
    assert_eq!(
        reg.view()
            .unwrap()
            .residents(s.shuangta, d("2024-12-31"), &Hierarchy::Legal)
            .unwrap()
            .len(),
        0
    );
    import(&reg, &path);
    let mut fewer = good_rows();
    fewer.remove(0);
    write_gb18030(&path, &fewer);
    let snap = ResidentImportOptions {
        path,
        mode: ImportMode::Snapshot,
        snapshot_unit: Some(s.shuangta),
        snapshot_date: Some(d("2024-06-30")),
        ..Default::default()
    };
    let r = reg.import_residents(&snap, None).unwrap();
    assert_eq!((r.departed, r.unchanged), (1, 4));
    let v = reg.view().unwrap();
    assert_eq!(
        v.residents(s.shuangta, d("2024-06-29"), &Hierarchy::Legal)
            .unwrap()
            .len(),
        5
    );
    assert_eq!(
        v.residents(s.shuangta, d("2024-06-30"), &Hierarchy::Legal)
            .unwrap()
            .len(),
        4
    );
}

#[test]
fn an_xlsx_with_two_sheets_and_an_operator_outside_scope() {
    let dir = Dir::new("xlsx");
    let path = dir.file("ledger.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in [("一社区", &good_rows()[..2]), ("二社区", &good_rows()[2..])] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (c, h) in HEADER.split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, cell) in row.split(',').enumerate() {
                sheet.write_string(i as u32 + 1, c as u16, cell).unwrap();
            }
        }
    }
    book.save(Path::new(&path)).unwrap();
    let dbdir = Dir::new("xlsx-db");
    let db = dbdir.file("r.db");
    let admin = Registry::open(&db, OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&admin).unwrap();
    // An operator of the industrial park: every row lives outside the scope.
    let park = Registry::open(
        &db,
        OpenOptions::default().principal(Principal::new("park", Role::Operator, Some(s.sip))),
    )
    .unwrap();
    let all = ResidentImportOptions {
        path: path.clone(),
        sheet: shiliu::ingest::SheetSelection::All,
        ..Default::default()
    };
    let r = park.import_residents(&all, None).unwrap();
    assert_eq!(r.inserted, 0);
    assert!(r
        .rejected
        .iter()
        .all(|x| x.code == "community.outside_scope"));
    assert_eq!(r.rejected.len(), 5);
    let r = admin.import_residents(&all, None).unwrap();
    assert_eq!(r.inserted, 5);
    let sheets: Vec<Option<&str>> = r.warnings.iter().map(|w| w.sheet.as_deref()).collect();
    assert!(sheets.contains(&Some("二社区")));
    // Export: masked for a viewer; shown (and audited) for an operator with a purpose.
    let viewer = Registry::open(
        &db,
        OpenOptions::default().principal(Principal::new("v", Role::Viewer, Some(s.gusu))),
    )
    .unwrap();
    let out = dir.file("export.csv");
    let e = viewer
        .view()
        .unwrap()
        .export_residents(s.gusu, d("2024-12-31"), &out, ExportFormat::Csv)
        .unwrap();
    assert_eq!((e.rows, e.masked), (5, true));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("马**") && !text.contains("13812345678") && text.contains("138****5678"));
    let op = Registry::open(
        &db,
        OpenOptions::default()
            .principal(Principal::new("op", Role::Operator, Some(s.gusu)).with_purpose("年度核查")),
    )
    .unwrap();
    let xlsx = dir.file("export.xlsx");
    let e = op
        .view()
        .unwrap()
        .export_residents(s.gusu, d("2024-12-31"), &xlsx, ExportFormat::Xlsx)
        .unwrap();
    assert_eq!((e.rows, e.masked), (5, false));
    let back =
        shiliu::ingest::read_table(&xlsx, shiliu::ingest::LEDGER_FIELDS, &Default::default())
            .unwrap();
    assert_eq!(back[0].rows.len(), 5);
    assert!(back[0]
        .rows
        .iter()
        .any(|r| r.cells.iter().any(|c| c == "马小龙")));
    let (log, _) = admin.view().unwrap().audit_log().unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "export_personal" && e.purpose.as_deref() == Some("年度核查")));
    // An analyst may not import people.
    let analyst = Registry::open(
        &db,
        OpenOptions::default().principal(Principal::new("a", Role::Analyst, Some(s.gusu))),
    )
    .unwrap();
    assert_eq!(
        analyst.import_residents(&all, None).unwrap_err().kind(),
        ErrorKind::AccessDenied
    );
}

#[test]
fn a_progress_callback_can_cancel_and_nothing_is_written() {
    let dir = Dir::new("cancel");
    let path = dir.file("c.csv");
    write_gb18030(&path, &good_rows());
    let (reg, _s) = setup();
    let tx = reg.view().unwrap().transaction();
    let mut stop = |_: shiliu::register::ImportProgress| false;
    let opts = ResidentImportOptions {
        path,
        ..Default::default()
    };
    let e = reg.import_residents(&opts, Some(&mut stop)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert!(e.to_string().contains("cancelled"));
    assert_eq!(reg.view().unwrap().transaction(), tx);
}

#[test]
fn communities_resolve_by_historical_and_by_current_names() {
    let dir = Dir::new("names");
    let path = dir.file("n.csv");
    let rows = vec![
        // 2003: the street was 府前街道 — the historical path resolves for its date.
        "1,甲,男,回族,,1970-01-01,,府前街道/道前社区,户籍,,2003-05-01,".to_string(),
        // Today's name of a unit that existed in 2001 (then 府前街道's 道前社区).
        "2,乙,男,回族,,1971-01-01,,沧浪街道/道前社区,户籍,,2001-05-01,".to_string(),
        // A historical name used for a date after it ceased: rejected.
        "3,丙,男,回族,,1972-01-01,,府前街道/道前社区,户籍,,2019-05-01,".to_string(),
    ];
    write_gb18030(&path, &rows);
    let (reg, s) = setup();
    let r = import(&reg, &path);
    assert_eq!(r.inserted, 2);
    assert_eq!(
        r.rejected
            .iter()
            .map(|x| (x.row, x.code.as_str()))
            .collect::<Vec<_>>(),
        [(5, "community.unknown")]
    );
    let v = reg.view().unwrap();
    let list = v
        .residents(s.daoqian, d("2005-01-01"), &Hierarchy::Legal)
        .unwrap();
    assert_eq!(list.len(), 2);
}

#[test]
fn registration_places_and_hardship_come_from_their_columns() {
    let dir = Dir::new("reg");
    let path = dir.file("r.csv");
    let header = "姓名,民族,公民身份号码,所属社区,户籍地,困难类型,来苏时间";
    let write = |rows: &[&str]| {
        let mut text = format!("{header}\n");
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(&path, text).unwrap();
    };
    let a = id("64010419900501001");
    let b = id("22240119850203002");
    write(&[
        &format!("马小龙,回族,{a},320502021017,640104,因病致困,2015-03-05"),
        &format!("金美玉,朝鲜族,{b},320502021017,双塔街道/百步街社区,,2010-07-01"),
    ]);
    let (reg, s) = setup();
    let r = import(&reg, &path);
    assert_eq!((r.inserted, r.rejected.len()), (2, 0), "{:?}", r.rejected);
    let v = reg.view().unwrap();
    let list = v
        .residents(s.shuangta, d("2024-12-31"), &Hierarchy::Legal)
        .unwrap();
    let ma = list.iter().find(|x| x.ethnicity == "03").unwrap().id;
    let jin = list.iter().find(|x| x.ethnicity == "10").unwrap().id;
    assert_eq!(
        v.resident(ma, d("2024-12-31"))
            .unwrap()
            .registration
            .as_deref(),
        Some("640104")
    );
    assert!(v
        .resident(jin, d("2024-12-31"))
        .unwrap()
        .registration
        .unwrap()
        .starts_with("百步街社区"));
    let c = v.circumstances(ma).unwrap();
    assert_eq!(
        (
            c.flags.len(),
            c.flags[0].detail.as_deref(),
            c.flags[0].valid.from
        ),
        (1, Some("因病致困"), d("2024-12-31"))
    );
    assert!(v.circumstances(jin).unwrap().flags.is_empty());
    // Unchanged on re-import; a resolved hardship ends the flag (a new version).
    assert_eq!(import(&reg, &path).unchanged, 2);
    write(&[
        &format!("马小龙,回族,{a},320502021017,640104,,2015-03-05"),
        &format!("金美玉,朝鲜族,{b},320502021017,双塔街道/百步街社区,,2010-07-01"),
    ]);
    let r = import(&reg, &path);
    assert_eq!((r.updated, r.unchanged), (1, 1));
    let c = reg.view().unwrap().circumstances(ma).unwrap();
    assert!(
        c.flags.is_empty() || c.flags.iter().all(|f| f.valid.to.is_some()),
        "{:?}",
        c.flags
    );
}

#[test]
fn a_masked_export_read_back_is_rejected_not_imported() {
    let dir = Dir::new("masked");
    let path = dir.file("m.csv");
    write_gb18030(&path, &good_rows());
    let dbdir = Dir::new("masked-db");
    let db = dbdir.file("m.db");
    let admin = Registry::open(&db, OpenOptions::default().today(d("2024-12-31"))).unwrap();
    let s = suzhou::build(&admin).unwrap();
    import(&admin, &path);
    let viewer = Registry::open(
        &db,
        OpenOptions::default().principal(Principal::new("v", Role::Viewer, Some(s.gusu))),
    )
    .unwrap();
    let out = dir.file("v.csv");
    viewer
        .view()
        .unwrap()
        .export_residents(s.gusu, d("2024-12-31"), &out, ExportFormat::Csv)
        .unwrap();
    let dry = ResidentImportOptions {
        path: out,
        dry_run: true,
        ..Default::default()
    };
    let r = admin.import_residents(&dry, None).unwrap();
    assert_eq!(r.inserted + r.updated, 0);
    assert_eq!(r.rejected.len(), 5);
    assert!(r.rejected.iter().all(|x| x.code == "value.masked"));
}

#[test]
fn one_thread_and_two_threads_import_alike() {
    let dir = Dir::new("threads");
    let path = dir.file("t.csv");
    let mut rows = good_rows();
    rows.extend(bad_rows());
    write_gb18030(&path, &rows);
    let run = |threads: usize| {
        let (reg, _s) = setup();
        let opts = ResidentImportOptions {
            path: path.clone(),
            threads: Some(threads),
            ..Default::default()
        };
        let mut r = reg.import_residents(&opts, None).unwrap();
        r.transaction = None;
        serde_json::to_value(&r).unwrap()
    };
    assert_eq!(run(1), run(2));
}
