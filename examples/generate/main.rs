//! Deterministic synthetic population: writes a unit hierarchy and a minority-resident
//! ledger for 苏州市 that depend only on `(N, seed)`.
//!
//! Run: `cargo run --release --example generate -- --residents N --seed S --out DIR [--bad K]
//! [--rules YEAR [--activities A] [--triggers T]]`
//!
//! Files in DIR (UTF-8 without BOM, `\n` line ends, no field needs quoting):
//! - `units.csv` — `code,name,level,parent_code,valid_from,valid_to`, the layout of
//!   `bench/gen_population.py` (city → districts → streets → communities, half-open
//!   validity intervals, the 2012-09-01 merger of 沧浪区 and 平江区 into 姑苏区).
//! - `reorganisations.csv` — `date,event,from_codes,to_codes,note`.
//! - `residents.csv` — a ledger with Chinese column names
//!   (姓名,性别,民族,公民身份号码,出生日期,联系电话,所属社区,人员类别,流出地,来苏时间,离开时间).
//! - `meta.json` — parameters, row counts, and the row numbers of the planted rows.
//!
//! With `--bad K`, K rows of the ledger are replaced by deliberately bad (or legacy)
//! rows, one kind after another; see [`planted::Defect`].
//!
//! With `--rules YEAR`, DIR/rules/ also gets a year of the work the Suzhou rule preset
//! checks (the resident ledger in update waves, liaison areas, bodies, posts and their
//! holders, life events, hardship flags and A activities, 100,000 by default, with T
//! trigger events, 50,000 by default); see [`rules`]. The other files do not change.

mod calendar;
mod idnum;
mod planted;
mod residents;
mod rng;
mod rules;
mod tables;
mod units;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use calendar::{Calendar, END, REORG, START};
use planted::{Defect, Planted};
use residents::Stats;

/// Version of the generated data; bump when the output for a given (N, seed) changes.
const GENERATOR_VERSION: u32 = 1;
/// Largest accepted `--residents`.
const MAX_RESIDENTS: u64 = 100_000_000;

/// Command-line parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Params {
    /// Number of data rows in residents.csv.
    residents: u64,
    /// Seed of every random choice.
    seed: u64,
    /// Number of planted rows.
    bad: u64,
    /// Output directory.
    out: PathBuf,
    /// `--rules YEAR`: also the rules-bench data of that year.
    rules: Option<i32>,
    /// Activities of the rules data.
    activities: u64,
    /// Trigger events of the rules data.
    triggers: u64,
}

/// What a run produced.
struct Report {
    /// Data rows of units.csv.
    unit_rows: usize,
    /// Communities among them.
    communities: usize,
    /// Data rows of reorganisations.csv.
    reorganisations: usize,
    /// Counts of residents.csv.
    stats: Stats,
    /// The planted rows.
    planted: Vec<Planted>,
    /// What `--rules` wrote.
    rules: Option<rules::Summary>,
}

const USAGE: &str = "usage: generate --residents N --seed S --out DIR [--bad K] \
                     [--rules YEAR [--activities A] [--triggers T]]";

/// Parses the command line (without the program name).
fn parse_args(args: &[String]) -> Result<Params, String> {
    let mut residents = None;
    let mut seed = None;
    let mut bad = 0;
    let mut out = None;
    let mut year = None;
    let mut activities = rules::DEFAULT_ACTIVITIES;
    let mut triggers = rules::DEFAULT_TRIGGERS;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.into());
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: not a non-negative integer: {value}"))
        };
        match flag.as_str() {
            "--residents" => residents = Some(number()?),
            "--seed" => seed = Some(number()?),
            "--bad" => bad = number()?,
            "--out" => out = Some(PathBuf::from(value)),
            "--rules" => {
                year = Some(
                    i32::try_from(number()?).map_err(|_| format!("--rules: bad year {value}"))?,
                )
            }
            "--activities" => activities = number()?,
            "--triggers" => triggers = number()?,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    let residents = residents.ok_or_else(|| format!("--residents is required\n{USAGE}"))?;
    if residents > MAX_RESIDENTS {
        return Err(format!("--residents must be at most {MAX_RESIDENTS}"));
    }
    Ok(Params {
        residents,
        seed: seed.ok_or_else(|| format!("--seed is required\n{USAGE}"))?,
        bad,
        out: out.ok_or_else(|| format!("--out is required\n{USAGE}"))?,
        rules: year,
        activities,
        triggers,
    })
}

/// Creates `path` and writes it through a buffer with `f`.
fn write_file<T>(
    path: &Path,
    f: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<T>,
) -> Result<T, String> {
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let file = File::create(path).map_err(fail)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let value = f(&mut w).map_err(fail)?;
    w.flush().map_err(fail)?;
    Ok(value)
}

/// Generates every file of `p` into `p.out`.
fn generate(p: &Params) -> Result<Report, String> {
    let planted = planted::plan(p.residents, p.bad, p.seed)?;
    fs::create_dir_all(&p.out).map_err(|e| format!("{}: {e}", p.out.display()))?;
    let cal = Calendar::new();
    let units = units::build(p.seed);
    write_file(&p.out.join("units.csv"), |w| {
        units::write_units(&units, &cal, w)
    })?;
    let reorganisations = write_file(&p.out.join("reorganisations.csv"), |w| {
        units::write_reorganisations(w)
    })?;
    let stats = write_file(&p.out.join("residents.csv"), |w| {
        residents::write_residents(p.residents, p.seed, &planted, &units, &cal, w)
    })?;
    let rules = match p.rules {
        Some(year) => {
            let rp = rules::RulesParams {
                year,
                activities: p.activities,
                triggers: p.triggers,
                seed: p.seed,
            };
            Some(rules::write_rules(&rp, &units, &cal, &p.out)?)
        }
        None => None,
    };
    let report = Report {
        unit_rows: units.rows.len(),
        communities: units.communities.len(),
        reorganisations,
        stats,
        planted,
        rules,
    };
    let meta = meta_json(p, &report);
    write_file(&p.out.join("meta.json"), |w| w.write_all(meta.as_bytes()))?;
    Ok(report)
}

/// Joins numbers as a JSON array body.
fn json_list(v: impl Iterator<Item = u64>) -> String {
    v.map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
}

/// meta.json: deterministic (no timings), so two runs can be compared byte for byte.
/// Row numbers count the header as row 1.
fn meta_json(p: &Params, r: &Report) -> String {
    let s = &r.stats;
    let mut kinds = Vec::new();
    for d in Defect::ALL {
        let mine: Vec<&Planted> = r.planted.iter().filter(|x| x.defect == d).collect();
        let mut entry = format!(
            "  \"{}\": {{\"severity\": \"{}\", \"column\": \"{}\", \"count\": {}, \"rows\": [{}]",
            d.key(),
            d.severity(),
            d.column(),
            mine.len(),
            json_list(mine.iter().map(|x| x.index + 2))
        );
        if d == Defect::DuplicateId {
            let of = json_list(mine.iter().filter_map(|x| x.source).map(|i| i + 2));
            entry.push_str(&format!(", \"duplicate_of_rows\": [{of}]"));
        }
        entry.push('}');
        kinds.push(entry);
    }
    let count = |sev: &str| {
        r.planted
            .iter()
            .filter(|x| x.defect.severity() == sev)
            .count()
    };
    format!(
        "{{\n \"generator\": \"shiliu examples/generate\",\n \"version\": {GENERATOR_VERSION},\n \
         \"parameters\": {{\"residents\": {}, \"seed\": {}, \"bad\": {}}},\n \
         \"date_range\": [\"{START}\", \"{END}\"],\n \"reorganisation\": \"{REORG}\",\n \
         \"rows\": {{\"units.csv\": {}, \"reorganisations.csv\": {}, \"residents.csv\": {}}},\n \
         \"communities\": {},\n \
         \"residents\": {{\"registered\": {}, \"migrant\": {}, \"born_here\": {}, \"left\": {}, \"ethnicities\": {}}},\n \
         \"planted\": {{\"errors\": {}, \"upgrades\": {}, \"warnings\": {}}},\n \
         \"deliberate\": {{\n{}\n }}\n}}\n",
        p.residents,
        p.seed,
        p.bad,
        r.unit_rows,
        r.reorganisations,
        s.rows,
        r.communities,
        s.rows - s.migrants,
        s.migrants,
        s.born_here,
        s.left,
        s.ethnicities,
        count("error"),
        count("upgrade"),
        count("warning"),
        kinds.join(",\n")
    )
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let params = match parse_args(&args) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("generate: {msg}");
            return ExitCode::from(2);
        }
    };
    let t0 = Instant::now();
    match generate(&params) {
        Ok(r) => {
            let s = &r.stats;
            println!(
                "generate: {} residents ({} migrant, {} left, {} ethnic groups, {} planted) \
                 in {} communities, seed {} -> {} in {:.2} s",
                s.rows,
                s.migrants,
                s.left,
                s.ethnicities,
                r.planted.len(),
                r.communities,
                params.seed,
                params.out.display(),
                t0.elapsed().as_secs_f64()
            );
            if let Some(x) = &r.rules {
                if x.activities as u64 > params.activities {
                    println!(
                        "generate --rules: the work the rules call for alone makes {} activities, \
                         more than --activities {}",
                        x.activities, params.activities
                    );
                }
                println!(
                    "generate --rules: {} activities ({} routine), {} trigger events \
                     ({} life events + {} migrant arrivals), {} matters, {} hardship flags; \
                     {} streets, {} areas, {} bodies, {} posts, {} persons; \
                     ledger of {} residents living in the year, {} rows in {} files",
                    x.activities,
                    x.routine,
                    x.events() + x.arrivals,
                    x.events(),
                    x.arrivals,
                    x.matters,
                    x.flags,
                    x.streets,
                    x.areas,
                    x.bodies,
                    x.posts,
                    x.persons,
                    x.living,
                    x.ledger_rows,
                    x.ledger_files
                );
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("generate: {msg}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use std::collections::{HashMap, HashSet};

    /// A fresh output directory for one test.
    fn out_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("shiliu-generate-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn run(name: &str, residents: u64, seed: u64, bad: u64) -> (PathBuf, Report) {
        let out = out_dir(name);
        let p = Params {
            residents,
            seed,
            bad,
            out: out.clone(),
            rules: None,
            activities: rules::DEFAULT_ACTIVITIES,
            triggers: rules::DEFAULT_TRIGGERS,
        };
        let r = generate(&p).unwrap();
        (out, r)
    }

    fn read(dir: &Path, file: &str) -> String {
        fs::read_to_string(dir.join(file)).unwrap()
    }

    /// Check character recomputed here, independently of the generator.
    fn gb11643_check(first17: &str) -> char {
        let w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let s: u32 = first17
            .chars()
            .zip(w)
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(s % 11) as usize]
    }

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    /// One row of units.csv: (level, parent, valid_from, valid_to).
    type UnitSpan = (String, String, NaiveDate, Option<NaiveDate>);

    /// units.csv as a lookup: code → its rows.
    struct UnitIndex {
        rows: HashMap<String, Vec<UnitSpan>>,
    }

    impl UnitIndex {
        fn parse(text: &str) -> Self {
            let mut lines = text.lines();
            assert_eq!(
                lines.next(),
                Some("code,name,level,parent_code,valid_from,valid_to")
            );
            let mut rows: HashMap<_, Vec<_>> = HashMap::new();
            for l in lines {
                let f: Vec<&str> = l.split(',').collect();
                assert_eq!(f.len(), 6, "{l}");
                rows.entry(f[0].to_string()).or_default().push((
                    f[2].to_string(),
                    f[3].to_string(),
                    date(f[4]).unwrap(),
                    (!f[5].is_empty()).then(|| date(f[5]).unwrap()),
                ));
            }
            UnitIndex { rows }
        }

        /// The row of `code` valid on `d` (half-open intervals): (level, parent).
        fn valid(&self, code: &str, d: NaiveDate) -> Option<(&str, &str)> {
            self.rows
                .get(code)?
                .iter()
                .find_map(|(level, parent, from, to)| {
                    (*from <= d && to.is_none_or(|t| d < t))
                        .then_some((level.as_str(), parent.as_str()))
                })
        }

        /// The district of `code` on `d`, following parent_code through valid rows.
        fn district(&self, code: &str, d: NaiveDate) -> Option<String> {
            let mut c = code.to_string();
            loop {
                let (level, parent) = self.valid(&c, d)?;
                if level == "district" {
                    return Some(c);
                }
                c = parent.to_string();
            }
        }
    }

    /// Checks every row of a ledger; returns the kind detected for each planted-looking
    /// row (file row number → kind) and asserts all invariants of the good rows.
    fn validate(dir: &Path) -> (HashMap<u64, Defect>, u64, u64) {
        let units = UnitIndex::parse(&read(dir, "units.csv"));
        let text = read(dir, "residents.csv");
        assert!(!text.starts_with('\u{feff}'));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(residents::HEADER.trim_end()));
        let names: HashSet<&str> = tables::ETHNICITIES.iter().map(|e| e.name).collect();
        let end = date("2026-10-31").unwrap();
        let start = date("1990-01-01").unwrap();
        let mut seen_ids = HashSet::new();
        let mut found = HashMap::new();
        let (mut rows, mut migrants) = (0, 0);
        for (i, line) in lines.enumerate() {
            let row = i as u64 + 2;
            rows += 1;
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 11, "row {row}: {line}");
            let (name, sex, eth, id, birth, phone, comm, cat, from, arr, left) = (
                f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10],
            );
            let mut kind = None;
            let mut set = |k: Defect| {
                assert!(kind.is_none(), "row {row} has two defects: {line}");
                kind = Some(k);
            };
            // ID number.
            let mut id18 = id.to_string();
            if id.contains("E+") {
                set(Defect::ExcelId);
            } else if id.len() == 15 && id.bytes().all(|b| b.is_ascii_digit()) {
                set(Defect::LegacyId15);
                id18 = format!("{}19{}", &id[..6], &id[6..]);
                id18.push(gb11643_check(&id18));
            } else {
                assert_eq!(id.len(), 18, "row {row}");
                assert!(id[..17].bytes().all(|b| b.is_ascii_digit()), "row {row}");
                if gb11643_check(&id[..17]) != id.chars().nth(17).unwrap() {
                    set(Defect::WrongCheck);
                }
            }
            if id18.len() == 18 && !seen_ids.insert(id18.clone()) {
                set(Defect::DuplicateId);
            }
            // Ethnicity.
            if eth == "崩龙族" {
                set(Defect::LegacyEthnicity);
            } else if !names.contains(eth) {
                set(Defect::UnknownEthnicity);
            }
            assert_ne!(eth, "汉族");
            // Dates.
            let birth_d = date(birth).unwrap();
            let arr_d = match date(arr) {
                Some(d) => d,
                None => {
                    set(Defect::ImpossibleDate);
                    date("2024-02-29").unwrap()
                }
            };
            assert!(start <= arr_d && arr_d <= end, "row {row}");
            assert!(birth_d <= arr_d, "row {row}");
            if !left.is_empty() {
                let l = date(left).unwrap();
                assert!(arr_d < l && l <= end, "row {row}");
            }
            // Community.
            match units.valid(comm, arr_d) {
                Some((level, _)) => assert_eq!(level, "community", "row {row}"),
                None => {
                    assert!(!units.rows.contains_key(comm), "row {row}: not yet valid");
                    set(Defect::UnknownCommunity);
                }
            }
            if let Some(k) = kind {
                found.insert(row, k);
            }
            // Invariants every row keeps.
            assert!(name.chars().count() >= 2, "row {row}");
            assert!(matches!(sex, "男" | "女"), "row {row}");
            assert_eq!(phone.len(), 11, "row {row}");
            assert!(phone.bytes().all(|b| b.is_ascii_digit()));
            assert!(["13", "15", "18"].contains(&&phone[..2]), "row {row}");
            assert!(matches!(cat, "户籍" | "流动"), "row {row}");
            migrants += u64::from(cat == "流动");
            if kind == Some(Defect::ExcelId) {
                continue;
            }
            let seq_digit = id18.as_bytes()[16] - b'0';
            assert_eq!(seq_digit % 2 == 1, sex == "男", "row {row}: sex vs ID");
            assert_eq!(
                id18[6..14],
                birth.replace('-', ""),
                "row {row}: birth vs ID"
            );
            let region = &id18[..6];
            if cat == "流动" {
                assert_eq!(from, region, "row {row}");
                assert!(!region.starts_with("3205"), "row {row}");
            } else {
                assert!(from.is_empty(), "row {row}");
            }
            if region.starts_with("3205") && kind.is_none() {
                // Born here: the district of the community on the birth date.
                assert_eq!(birth_d, arr_d, "row {row}");
                let d = units.district(comm, birth_d).unwrap();
                assert_eq!(d, region, "row {row}");
            }
        }
        (found, rows, migrants)
    }

    /// The `rows` list of `kind` in meta.json.
    fn meta_rows(meta: &str, kind: &str) -> Vec<u64> {
        let at = meta.find(&format!("\"{kind}\"")).unwrap();
        let rest = &meta[at..];
        let list = &rest[rest.find("\"rows\": [").unwrap() + 9..];
        let list = &list[..list.find(']').unwrap()];
        list.split(", ")
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_differs() {
        let (a, _) = run("det-a", 3000, 7, 24);
        let (b, _) = run("det-b", 3000, 7, 24);
        let (c, _) = run("det-c", 3000, 8, 24);
        for f in [
            "units.csv",
            "reorganisations.csv",
            "residents.csv",
            "meta.json",
        ] {
            assert_eq!(
                fs::read(a.join(f)).unwrap(),
                fs::read(b.join(f)).unwrap(),
                "{f}"
            );
        }
        for f in ["units.csv", "residents.csv", "meta.json"] {
            assert_ne!(
                fs::read(a.join(f)).unwrap(),
                fs::read(c.join(f)).unwrap(),
                "{f}"
            );
        }
        for d in [a, b, c] {
            fs::remove_dir_all(d).unwrap();
        }
    }

    #[test]
    fn good_rows_are_valid_unique_and_consistent() {
        for seed in [1, 2, 3] {
            let (dir, r) = run(&format!("valid-{seed}"), 10_000, seed, 0);
            let (found, rows, migrants) = validate(&dir);
            assert!(found.is_empty(), "unexpected defects: {found:?}");
            assert_eq!(rows, 10_000);
            assert_eq!(migrants, r.stats.migrants);
            let share = migrants as f64 / rows as f64;
            assert!(
                (0.35..=0.45).contains(&share),
                "seed {seed}: migrants {share}"
            );
            let left = r.stats.left as f64 / rows as f64;
            assert!((0.10..=0.20).contains(&left), "seed {seed}: left {left}");
            fs::remove_dir_all(dir).unwrap();
        }
    }

    #[test]
    fn planted_rows_are_exactly_where_meta_says() {
        let (dir, r) = run("bad", 5000, 11, 43);
        let (found, rows, _) = validate(&dir);
        assert_eq!(rows, 5000);
        assert_eq!(found.len(), 43);
        let meta = read(&dir, "meta.json");
        let mut total = 0;
        for d in Defect::ALL {
            let mut expected: Vec<u64> = found
                .iter()
                .filter(|(_, k)| **k == d)
                .map(|(row, _)| *row)
                .collect();
            expected.sort_unstable();
            assert_eq!(meta_rows(&meta, d.key()), expected, "{}", d.key());
            // 43 = 5 × 8 + 3: the first three kinds get one more.
            let want = if Defect::ALL.iter().position(|x| *x == d).unwrap() < 3 {
                6
            } else {
                5
            };
            assert_eq!(expected.len(), want, "{}", d.key());
            total += expected.len();
        }
        assert_eq!(total, r.planted.len());
        // Kinds come in turn, by position.
        let mut by_row: Vec<(&u64, &Defect)> = found.iter().collect();
        by_row.sort_by_key(|(row, _)| **row);
        for (j, (_, k)) in by_row.iter().enumerate() {
            assert_eq!(**k, Defect::ALL[j % 8]);
        }
        // A duplicate repeats the ID of the row meta.json names, which comes earlier.
        let text = read(&dir, "residents.csv");
        let lines: Vec<&str> = text.lines().collect();
        let id = |row: u64| lines[row as usize - 1].split(',').nth(3).unwrap();
        let dups = meta_rows(&meta, "duplicate_id");
        let at = meta.find("\"duplicate_of_rows\": [").unwrap() + 22;
        let of: Vec<u64> = meta[at..meta[at..].find(']').unwrap() + at]
            .split(", ")
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(dups.len(), of.len());
        for (d, o) in dups.iter().zip(&of) {
            assert!(o < d);
            assert_eq!(id(*d), id(*o));
            assert!(!found.contains_key(o));
        }
        fs::remove_dir_all(dir).unwrap();
    }

    /// The full check on a million rows (`cargo test --release --example generate --
    /// --ignored`).
    #[test]
    #[ignore = "slow in debug builds"]
    fn a_million_rows_validate() {
        let (dir, r) = run("million", 1_000_000, 42, 8);
        let (found, rows, migrants) = validate(&dir);
        assert_eq!((rows, migrants), (1_000_000, r.stats.migrants));
        assert_eq!(found.len(), 8);
        assert_eq!(r.stats.ethnicities, 47);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn units_follow_the_layout() {
        let (dir, r) = run("units", 0, 5, 0);
        let text = read(&dir, "units.csv");
        let idx = UnitIndex::parse(&text);
        assert!((1100..=1650).contains(&r.communities), "{}", r.communities);
        let reorg = date("2012-09-01").unwrap();
        let before = date("2012-08-31").unwrap();
        assert!(idx.valid("320502", before).is_some());
        assert!(idx.valid("320502", reorg).is_none());
        assert!(idx.valid("320508", before).is_none());
        assert!(idx.valid("320508", reorg).is_some());
        let mut late = 0;
        let mut names: HashMap<(String, String), HashSet<String>> = HashMap::new();
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            match f[2] {
                "street" => {
                    assert_eq!(f[0].len(), 9);
                    if f[0].starts_with("320502") || f[0].starts_with("320503") {
                        // Moved: one closed row and one row under 姑苏区.
                        assert_eq!(idx.district(f[0], before).unwrap(), &f[0][..6]);
                        assert_eq!(idx.district(f[0], reorg).unwrap(), "320508");
                        assert_eq!(idx.rows[f[0]].len(), 2);
                    }
                }
                "community" => {
                    assert_eq!(f[0].len(), 12);
                    assert_eq!(&f[0][..9], f[3]);
                    let suffix: u32 = f[0][9..].parse().unwrap();
                    assert_eq!(f[1].ends_with('村'), suffix >= 200, "{l}");
                    late += usize::from(f[4] != "1990-01-01");
                    assert!(f[5].is_empty());
                }
                _ => {}
            }
            let fresh = names
                .entry((f[3].to_string(), f[4].to_string()))
                .or_default()
                .insert(f[1].to_string());
            assert!(fresh, "name repeated under its parent: {l}");
        }
        let share = late as f64 / r.communities as f64;
        assert!((0.07..=0.17).contains(&share), "late communities {share}");
        assert_eq!(
            read(&dir, "reorganisations.csv").lines().nth(1).unwrap()[..38],
            *"2012-09-01,merge,320502;320503,320508,"
        );
        assert_eq!(
            fs::read_to_string(dir.join("residents.csv")).unwrap(),
            residents::HEADER
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn excel_shows_six_significant_digits() {
        assert_eq!(idnum::excel_mangle(b"110105194912310021"), "1.10105E+17");
        assert_eq!(idnum::excel_mangle(b"320500199001010011"), "3.205E+17");
        assert_eq!(idnum::excel_mangle(b"320505600000000000"), "3.20506E+17");
        assert_eq!(idnum::excel_mangle(b"999999600000000000"), "1E+18");
    }

    #[test]
    fn check_char_matches_the_standard_example() {
        assert_eq!(idnum::check_char(b"11010519491231002"), b'X');
    }

    #[test]
    fn arguments_are_checked() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let p = parse_args(&args("--residents 10 --seed 3 --out x --bad 2")).unwrap();
        assert_eq!((p.residents, p.seed, p.bad), (10, 3, 2));
        assert!(parse_args(&args("--residents 10 --out x")).is_err());
        assert!(parse_args(&args("--residents -1 --seed 1 --out x")).is_err());
        assert!(parse_args(&args("--residents 10 --seed 1 --out x --frob 1")).is_err());
        assert!(planted::plan(5, 5, 1).is_err());
        assert_eq!(planted::plan(6, 5, 1).unwrap().len(), 5);
        let p = parse_args(&args(
            "--residents 10 --seed 3 --out x --rules 2024 --activities 7 --triggers 5",
        ))
        .unwrap();
        assert_eq!((p.rules, p.activities, p.triggers), (Some(2024), 7, 5));
        let p = parse_args(&args("--residents 10 --seed 3 --out x")).unwrap();
        assert_eq!(p.rules, None);
    }

    /// A run with `--rules 2024`.
    fn run_rules(name: &str, residents: u64, seed: u64, bad: u64) -> (PathBuf, Report) {
        let out = out_dir(name);
        let p = Params {
            residents,
            seed,
            bad,
            out: out.clone(),
            rules: Some(2024),
            activities: 16_000,
            triggers: 1_500,
        };
        let r = generate(&p).unwrap();
        (out, r)
    }

    fn rules_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir.join("rules"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().to_string_lossy().into_owned();
                (name, fs::read(e.path()).unwrap())
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn rules_data_is_deterministic_and_leaves_the_rest_alone() {
        let (a, ra) = run_rules("rules-a", 4000, 5, 0);
        let (b, _) = run_rules("rules-b", 4000, 5, 0);
        let (plain, _) = run("rules-plain", 4000, 5, 0);
        assert_eq!(rules_files(&a), rules_files(&b));
        for f in ["units.csv", "residents.csv", "meta.json"] {
            assert_eq!(read(&a, f), read(&plain, f), "{f}");
        }
        let s = ra.rules.unwrap();
        assert_eq!(s.activities, 16_000);
        assert_eq!(s.events() + s.arrivals, 1_500);
        assert!(s.routine > 0 && s.flags > 0 && s.matters > 0 && s.arrivals > 0);
        for d in [a, b, plain] {
            fs::remove_dir_all(d).unwrap();
        }
    }

    /// A ledger file's rows: ID number → (arrival, departure shown).
    type LedgerRows = HashMap<String, (String, String)>;

    /// The ledger files: (file date, rows).
    fn ledger_files(dir: &Path) -> Vec<(String, LedgerRows)> {
        let mut out = Vec::new();
        for (name, bytes) in rules_files(dir) {
            let Some(d) = name
                .strip_prefix("ledger-")
                .and_then(|n| n.strip_suffix(".csv"))
            else {
                continue;
            };
            let text = String::from_utf8(bytes).unwrap();
            let mut lines = text.lines();
            assert_eq!(lines.next(), Some(residents::HEADER.trim_end()));
            let rows = lines
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    assert_eq!(f.len(), 11, "{l}");
                    (f[3].to_string(), (f[9].to_string(), f[10].to_string()))
                })
                .collect();
            out.push((d.to_string(), rows));
        }
        out
    }

    #[test]
    fn rules_data_is_consistent() {
        let (dir, r) = run_rules("rules-consistent", 6000, 9, 0);
        let s = r.rules.unwrap();
        // The ledger: the first file as of 2023-12-31, then waves during 2024, each
        // resident at most once per file; nothing after a file's date.
        let ledgers = ledger_files(&dir);
        assert_eq!(ledgers[0].0, "2023-12-31");
        assert_eq!(ledgers.len(), s.ledger_files);
        // id → (arrival, departure) as finally known.
        let mut known: HashMap<String, (String, String)> = HashMap::new();
        for (d, rows) in &ledgers {
            for (id, (arr, left)) in rows {
                assert!(arr.as_str() <= d.as_str(), "{id} arrives after {d}");
                assert!(left.is_empty() || left.as_str() <= d.as_str());
                known.insert(id.clone(), (arr.clone(), left.clone()));
            }
            if d.as_str() > "2023-12-31" {
                assert!(d.starts_with("2024-"), "{d}");
            }
        }
        let lives_on = |id: &str, day: &str| {
            let (arr, left) = &known[id];
            arr.as_str() <= day && (left.is_empty() || day < left.as_str())
        };
        // Life events: residents known and living there that day, in 2024.
        let text = read(&dir, "rules/life_events.csv");
        let mut events = 0;
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            assert!(f[2].starts_with("2024-"), "{l}");
            assert!(lives_on(f[0], f[2]), "{l}");
            assert!(["hospitalised", "special", "dispute", "disaster"].contains(&f[1]));
            events += 1;
        }
        assert_eq!(events, s.events());
        // Flags: known residents, ending after they start.
        for l in read(&dir, "rules/flags.csv").lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            assert!(known.contains_key(f[0]), "{l}");
            assert_eq!(f[1], "hardship");
            assert!(f[4].is_empty() || f[3] < f[4], "{l}");
        }
        // The network: keys defined before use; one holder per post at a time; every
        // leadership-group leader holds the street's 书记 or 主任 position meanwhile.
        let net = read(&dir, "rules/network.jsonl");
        let recs: Vec<serde_json::Value> = net
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut keys: HashMap<String, serde_json::Value> = HashMap::new();
        let mut held: HashMap<String, Vec<(String, String)>> = HashMap::new();
        let mut titles: HashMap<String, Vec<(String, String, String)>> = HashMap::new();
        let s_ = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or("").to_string();
        let mut bodies: HashMap<(String, String), String> = HashMap::new();
        for v in &recs {
            for k in ["owner", "person", "post"] {
                if let Some(key) = v[k].as_str() {
                    assert!(keys.contains_key(key), "{key} used before defined: {v}");
                }
            }
            match v["type"].as_str().unwrap() {
                "position" => titles.entry(s_(v, "person")).or_default().push((
                    s_(v, "title"),
                    s_(v, "from"),
                    s_(v, "to"),
                )),
                "membership" => {
                    let post = s_(v, "post");
                    let (from, to) = (s_(v, "from"), s_(v, "to"));
                    let spans = held.entry(post.clone()).or_default();
                    if let Some((_, last_to)) = spans.last() {
                        assert!(!last_to.is_empty() && *last_to <= from, "overlap on {post}");
                    }
                    spans.push((from.clone(), to.clone()));
                    let p = &keys[&post];
                    let owner = &keys[&s_(p, "owner")];
                    if s_(p, "role") == "leader" && s_(owner, "kind") == "leadership_group" {
                        let ok = titles[&s_(v, "person")].iter().any(|(t, f, _)| {
                            (t == "街道党工委书记" || t == "街道办事处主任") && *f <= from
                        });
                        assert!(ok, "leader without position: {v}");
                    }
                    assert!(s_(p, "from") <= from);
                }
                "body" => {
                    bodies.insert((s_(v, "unit"), s_(v, "name")), s_(v, "from"));
                }
                _ => {}
            }
            if let Some(k) = v["key"].as_str() {
                keys.insert(k.to_string(), v.clone());
            }
        }
        assert_eq!(bodies.len(), s.bodies);
        // Activities: numbered, in 2024 and day order, in known units; bodies exist that
        // day; subjects known; R1/R2/R5 meetings on working days.
        let units = UnitIndex::parse(&read(&dir, "units.csv"));
        let text = read(&dir, "rules/activities.csv");
        let mut lines = text.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("编号,日期,类型,子类型,单位,机构"));
        let mut last = String::new();
        let mut n = 0;
        for l in lines {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 13, "{l}");
            n += 1;
            assert_eq!(f[0], format!("2024-{n:06}"));
            assert!(f[1].starts_with("2024-") && f[1] >= last.as_str(), "{l}");
            last = f[1].to_string();
            assert!(units.valid(f[4], date(f[1]).unwrap()).is_some(), "{l}");
            if !f[5].is_empty() {
                let from = &bodies[&(f[4].to_string(), f[5].to_string())];
                assert!(from.as_str() <= f[1], "{l}");
            }
            if !f[7].is_empty() {
                assert!(known.contains_key(f[7]), "{l}");
            }
            if f[2] == "会议" {
                use chrono::Datelike;
                let wd = date(f[1]).unwrap().weekday().num_days_from_monday();
                assert!(wd < 5, "meeting on a weekend: {l}");
            }
        }
        assert_eq!(n, 16_000);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn rules_data_survives_planted_rows() {
        let (dir, r) = run_rules("rules-bad", 3000, 2, 24);
        assert_eq!(r.rules.unwrap().activities, 16_000);
        fs::remove_dir_all(dir).unwrap();
    }
}
