#![allow(clippy::unwrap_used)] // test helpers fail loudly by design
//! Importing units.csv: the generator's city (tests/data/units.csv, from
//! `gen_population.py --seed 1`, sha256 fcf048e6…), checked against a brute-force
//! reading of the file; bad rows reported with their row numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDate;
use shiliu::network::{Hierarchy, UnitImportOptions};
use shiliu::{OpenOptions, Registry};

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
        .display()
        .to_string()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// (code, parent code) of every row valid on `date`, read straight from the CSV.
fn brute_force(date: NaiveDate) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(data("units.csv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let from = d(f[4]);
            let to = (!f[5].is_empty()).then(|| d(f[5]));
            (from <= date && to.is_none_or(|t| date < t))
                .then(|| (f[0].to_string(), f[3].to_string()))
        })
        .collect()
}

fn from_registry(reg: &Registry, date: NaiveDate) -> BTreeSet<(String, String)> {
    let v = reg.view().unwrap();
    let tree = v.tree(None, date, &Hierarchy::Legal).unwrap();
    let code_of: BTreeMap<i64, String> = tree
        .iter()
        .map(|n| (n.unit.id, n.unit.code.clone().unwrap_or_default()))
        .collect();
    tree.iter()
        .map(|n| {
            (
                n.unit.code.clone().unwrap_or_default(),
                n.unit
                    .parent
                    .map(|p| code_of[&p].clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn the_generated_city_imports_and_agrees_with_the_file_on_every_date() {
    let reg = Registry::open_in_memory(OpenOptions::default().today(d("2026-11-28"))).unwrap();
    let opts = UnitImportOptions {
        path: data("units.csv"),
        reorganisations: Some(data("reorganisations.csv")),
        dry_run: false,
    };
    let report = reg.import_units(&opts).unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.rows_read, 1427 + 1);
    // 1,428 rows: one unit per code; each street of the two merged districts has a move.
    let codes: BTreeSet<String> = std::fs::read_to_string(data("units.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(report.units_created, codes.len());
    let moved = 1427 - codes.len();
    assert_eq!(report.events, moved + 1);
    for date in [
        "1990-01-01",
        "2005-06-30",
        "2012-08-31",
        "2012-09-01",
        "2020-02-29",
        "2026-10-31",
    ] {
        assert_eq!(
            from_registry(&reg, d(date)),
            brute_force(d(date)),
            "as of {date}"
        );
    }
    // Lineage from the reorganisations file.
    let v = reg.view().unwrap();
    let canglang = v.find_by_code("320502", d("2010-01-01")).unwrap().id;
    let succ = v.successors(canglang, d("2024-12-31")).unwrap();
    assert_eq!(succ[0].code.as_deref(), Some("320508"));

    // Importing the same file again changes nothing.
    let tx = v.transaction();
    let again = reg
        .import_units(&UnitImportOptions {
            reorganisations: None,
            ..opts.clone()
        })
        .unwrap();
    assert_eq!(
        (again.units_created, again.units_unchanged, again.events),
        (0, codes.len(), 0)
    );
    assert_eq!(
        from_registry(&reg, d("2024-12-31")),
        brute_force(d("2024-12-31"))
    );
    assert_eq!(again.transaction, None, "nothing new: nothing recorded");
    assert_eq!(reg.view().unwrap().transaction(), tx);
}

#[test]
fn bad_rows_are_reported_and_good_rows_kept() {
    let dir = std::env::temp_dir().join(format!("shiliu-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.csv");
    std::fs::write(
        &path,
        "\u{feff}代码,名称,层级,上级代码,起始日期,终止日期\n\
         320500,苏州市,city,,1990-01-01,\n\
         320502,沧浪区,district,320500,1990-01-01,2012-09-01\n\
         320502001,望园街道,street,320502,1990-01-01,2012-09-01\n\
         320502001,望园街道,street,320599,2012-09-01,\n\
         320502002,双塔街道,street,320502,1990-01-01,2012-09-01\n\
         320502002,双塔街道,street,320502,2000-01-01,2012-09-01\n\
         \n\
         320502003,错日期,street,320502,1990-13-01,\n\
         320502004,,street,320502,1990-01-01,\n\
         320502005,倒序,street,320502,2000-01-01,1999-01-01\n",
    )
    .unwrap();
    let reg = Registry::open_in_memory(OpenOptions::default()).unwrap();
    let opts = UnitImportOptions {
        path: path.display().to_string(),
        reorganisations: None,
        dry_run: true,
    };
    let dry = reg.import_units(&opts).unwrap();
    assert_eq!(dry.transaction, None);
    assert_eq!(
        reg.view().unwrap().transaction(),
        0,
        "a dry run writes nothing"
    );
    let report = reg
        .import_units(&UnitImportOptions {
            dry_run: false,
            ..opts
        })
        .unwrap();
    let rejected: Vec<(usize, &str, &str)> = report
        .rejected
        .iter()
        .map(|p| (p.row, p.code.as_str(), p.column.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        rejected,
        [
            (5, "unit.orphan", "parent_code"),
            (7, "unit.overlap", "valid_from"),
            (9, "unit.bad_date", "valid_from"),
            (10, "unit.missing", "name"),
            (11, "unit.bad_interval", "valid_to"),
        ]
    );
    assert_eq!(report.rejected[0].value.as_deref(), Some("320599"));
    // Row 4 is kept: 望园街道 exists until 2012-09-01, when its unknown new parent starts.
    assert_eq!(report.units_created, 4);
    let v = reg.view().unwrap();
    assert_eq!(
        v.find_by_code("320502002", d("2005-01-01")).unwrap().name,
        "双塔街道"
    );
    assert_eq!(
        v.find_by_code("320502001", d("2005-01-01")).unwrap().name,
        "望园街道"
    );
    assert!(v.find_by_code("320502001", d("2013-01-01")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn managing_parents_come_from_their_own_column() {
    let dir = std::env::temp_dir().join(format!("shiliu-import-managing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("units.csv");
    std::fs::write(
        &path,
        "code,name,level,parent_code,valid_from,valid_to,managing_parent_code\n\
         320500,苏州市,city,,1990-01-01,,\n\
         320506,吴中区,district,320500,1990-01-01,,\n\
         320571,苏州工业园区,district,320500,1994-02-26,,\n\
         320506001,娄葑街道,street,320506,1990-01-01,2002-01-01,\n\
         320506001,娄葑街道,street,320506,2002-01-01,,320571\n\
         320506001001,金鸡湖社区,community,320506001,2005-01-01,,\n",
    )
    .unwrap();
    let reg = Registry::open_in_memory(OpenOptions::default()).unwrap();
    let report = reg
        .import_units(&UnitImportOptions {
            path: path.display().to_string(),
            reorganisations: None,
            dry_run: false,
        })
        .unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!((report.units_created, report.events), (5, 1));
    let v = reg.view().unwrap();
    let park = v.find_by_code("320571", d("2024-12-31")).unwrap().id;
    let names = |h: Hierarchy, date: &str| -> Vec<String> {
        v.tree(Some(park), d(date), &h)
            .unwrap()
            .into_iter()
            .map(|n| n.unit.name)
            .collect()
    };
    assert_eq!(
        names(Hierarchy::Managing, "2010-01-01"),
        ["苏州工业园区", "娄葑街道", "金鸡湖社区"]
    );
    assert_eq!(names(Hierarchy::Managing, "2001-01-01"), ["苏州工业园区"]);
    assert_eq!(names(Hierarchy::Legal, "2010-01-01"), ["苏州工业园区"]);
    let street = v.find_by_code("320506001", d("2010-01-01")).unwrap();
    assert_eq!(
        street.parent,
        v.find_by_code("320506", d("2010-01-01")).ok().map(|u| u.id)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
