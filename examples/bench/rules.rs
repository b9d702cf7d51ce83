//! Benchmark of rule evaluation: the Suzhou preset over one year of a generated city's
//! community ethnic work (`generate --rules YEAR`: ~1,300 communities, 100,000
//! activities, 50,000 trigger events by default).
//!
//! Run: `make bench-rules`, or
//! `cargo run --release --example rules_bench -- DIR [--rebuild] [--repeat N]`.
//!
//! 1. Builds `DIR/rules.db` once (reused while `DIR/rules/meta.json` and `DIR/meta.json`
//!    are unchanged; `--rebuild` forces it): units, the ledger file by file (each
//!    imported with "today" = the date in its name, so the ledger has its update
//!    history), then with "today" = the year's last day the liaison areas, bodies,
//!    posts, people and memberships, life events and flags (batches of 10,000 writes)
//!    and the activity ledger (`Registry::import_activities`). Nothing of this is timed
//!    below; after a build the measurement runs in a fresh process, so its peak memory
//!    is the evaluation's own.
//! 2. Cold: a fresh handle (`Registry::open`), `view()` and the first `evaluate` — which
//!    loads activities, events and flags from SQLite and builds the residence snapshot.
//!    Three fresh handles in turn (the file is in the page cache after the first).
//! 3. Warm: `evaluate` again on the same handle, N times (default 10): min and median.
//! 4. Each rule alone (warm, best of 3), findings by rule and status, the digest (the
//!    same on every run), the city's compliance and the process's peak memory.

#[path = "common.rs"]
mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use serde_json::Value;
use shiliu::activity::ActivityImportOptions;
use shiliu::network::{
    BodyKind, Hierarchy, NewBody, NewMembership, NewPerson, NewPosition, NewPost, NewUnit,
    PostRole, UnitImportOptions, UnitKind,
};
use shiliu::register::{FlagKind, LifeEventKind, NewFlag, NewLifeEvent, ResidentImportOptions};
use shiliu::rules::{EvaluationRequest, RuleSet, Status};
use shiliu::{OpenOptions, Registry};

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The index the build adds for itself and drops.
const TEMP_INDEX: &str = "bench_build_residence_by_resident";

/// Rows per write batch.
const BATCH: usize = 10_000;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// CPU time of this process so far (user + system, all threads) in ms, from
/// /proc/self/stat (clock ticks of 10 ms): beside wall-clock times on a shared machine.
fn cpu_ms() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) * 10.0
}

fn min_median(v: &[f64]) -> (f64, f64) {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// 1234567 → "1,234,567".
fn n(x: usize) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn date(s: &str) -> Res<NaiveDate> {
    Ok(NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("{s:?}: {e}"))?)
}

fn opt_date(v: &Value) -> Res<Option<NaiveDate>> {
    v.as_str().map(date).transpose()
}

fn text<'a>(v: &'a Value, key: &str) -> Res<&'a str> {
    Ok(v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no {key} in {v}"))?)
}

/// The data rows of a CSV file whose fields need no quoting.
fn rows(path: &Path) -> Res<Vec<Vec<String>>> {
    let t = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(t.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect())
}

/// The ledger files in date order, with their dates.
fn ledgers(dir: &Path) -> Res<Vec<(NaiveDate, String)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir.join("rules"))? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if let Some(d) = name
            .strip_prefix("ledger-")
            .and_then(|s| s.strip_suffix(".csv"))
        {
            out.push((
                date(d)?,
                dir.join("rules").join(&name).display().to_string(),
            ));
        }
    }
    out.sort();
    Ok(out)
}

fn open(db: &Path, today: NaiveDate) -> Res<Registry> {
    Ok(Registry::open(db, OpenOptions::default().today(today))?)
}

/// Builds the registry file from the generated files.
fn build(dir: &Path, db: &Path, year_end: NaiveDate) -> Res<()> {
    let t_all = Instant::now();
    for s in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{s}", db.display()));
    }
    println!("building {} (once)", db.display());
    let files = ledgers(dir)?;
    let (first, _) = files
        .first()
        .ok_or("no ledger files: run generate --rules")?;
    let t = Instant::now();
    let reg = open(db, *first)?;
    let reorg = dir.join("reorganisations.csv");
    let u = reg.import_units(&UnitImportOptions {
        path: dir.join("units.csv").display().to_string(),
        reorganisations: reorg.exists().then(|| reorg.display().to_string()),
        dry_run: false,
    })?;
    drop(reg);
    println!(
        "  units: {} created in {:.1} s",
        u.units_created,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (mut inserted, mut updated, mut rejected) = (0, 0, 0);
    for (day, path) in &files {
        let reg = open(db, *day)?;
        let r = reg.import_residents(
            &ResidentImportOptions {
                path: path.clone(),
                ..Default::default()
            },
            None,
        )?;
        for x in r.rejected.iter().take(3) {
            println!("    rejected row {} of {path}: {}", x.row, x.message);
        }
        inserted += r.inserted;
        updated += r.updated;
        rejected += r.rejected.len();
    }
    println!(
        "  ledger: {} files, {} residents inserted, {} updated, {} rows rejected in {:.1} s",
        files.len(),
        n(inserted),
        n(updated),
        rejected,
        t.elapsed().as_secs_f64()
    );
    // Writes about a resident look up its residences with a query the shipped partial
    // index cannot serve (a scan of every residence per write: ~25 min for this data);
    // a temporary index makes the build take seconds and is dropped at its end.
    let sql = rusqlite::Connection::open(db)?;
    sql.execute_batch(&format!("CREATE INDEX {TEMP_INDEX} ON residence(resident)"))?;
    let reg = open(db, year_end)?;

    // Areas, bodies, posts, people, positions, memberships.
    let t = Instant::now();
    let net = fs::read_to_string(dir.join("rules/network.jsonl"))?;
    let records: Vec<Value> = net
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let facts = reg.write(|b| {
        let mut ids: BTreeMap<String, i64> = BTreeMap::new();
        let mut facts = 0;
        let err = |e: Box<dyn std::error::Error>| shiliu::Error::Internal(e.to_string());
        let s = |v: &Value, k: &str| text(v, k).map(str::to_owned).map_err(err);
        let d = |v: &Value, k: &str| text(v, k).and_then(date).map_err(err);
        let to = |v: &Value| opt_date(v.get("to").unwrap_or(&Value::Null)).map_err(err);
        let key = |ids: &BTreeMap<String, i64>, v: &Value, k: &str| {
            let name = s(v, k)?;
            ids.get(&name)
                .copied()
                .ok_or_else(|| shiliu::Error::Internal(format!("unknown key {name}")))
        };
        for v in &records {
            let from = d(v, "from").ok();
            match text(v, "type").map_err(err)? {
                "area" => {
                    let from = d(v, "from")?;
                    let street = b.network().find_by_code(&s(v, "street")?, from)?;
                    let area = b.add_unit(
                        NewUnit::new(UnitKind::Area, s(v, "name")?, from).parent(street),
                    )?;
                    ids.insert(s(v, "key")?, area);
                    for c in v["communities"].as_array().into_iter().flatten() {
                        let (code, since) = (c[0].as_str(), c[1].as_str());
                        let (Some(code), Some(since)) = (code, since) else {
                            continue;
                        };
                        let since = date(since).map_err(err)?;
                        let unit = b.network().find_by_code(code, since)?;
                        b.set_parent(unit, Hierarchy::Working, area, since)?;
                        facts += 1;
                    }
                }
                "body" => {
                    let from = d(v, "from")?;
                    let unit = b.network().find_by_code(&s(v, "unit")?, from)?;
                    let id = b.add_body(NewBody {
                        unit,
                        kind: BodyKind::parse(&s(v, "kind")?),
                        name: s(v, "name")?,
                        valid_from: from,
                        valid_to: None,
                    })?;
                    ids.insert(s(v, "key")?, id);
                }
                "post" => {
                    let owner = s(v, "owner")?;
                    let id = key(&ids, v, "owner")?;
                    let area = owner.starts_with('A');
                    let id = b.add_post(NewPost {
                        body: (!area).then_some(id),
                        unit: area.then_some(id),
                        role: PostRole::parse(&s(v, "role")?),
                        responsibility: None,
                        valid_from: d(v, "from")?,
                        valid_to: None,
                    })?;
                    ids.insert(s(v, "key")?, id);
                }
                "person" => {
                    let id = b.add_person(NewPerson {
                        name: s(v, "name")?,
                        phone: Some(s(v, "phone")?),
                    })?;
                    ids.insert(s(v, "key")?, id);
                }
                "position" => {
                    let from = d(v, "from")?;
                    b.add_position(NewPosition {
                        person: key(&ids, v, "person")?,
                        title: s(v, "title")?,
                        unit: b.network().find_by_code(&s(v, "unit")?, from)?,
                        valid_from: from,
                        valid_to: to(v)?,
                    })?;
                }
                "membership" => {
                    b.add_membership(NewMembership {
                        post: key(&ids, v, "post")?,
                        person: key(&ids, v, "person")?,
                        valid_from: from.ok_or_else(|| shiliu::Error::Internal("from".into()))?,
                        valid_to: to(v)?,
                    })?;
                }
                other => return Err(shiliu::Error::Internal(format!("record type {other}"))),
            }
            facts += 1;
        }
        Ok(facts)
    })?;
    println!(
        "  network: {} records written in {:.1} s",
        n(facts),
        t.elapsed().as_secs_f64()
    );

    // Residents by ID number (the column the activity import resolves subjects by).
    let by_number: BTreeMap<String, i64> = {
        let c =
            rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut st = c.prepare(
            "SELECT id_number, id FROM resident WHERE sys_to IS NULL AND id_number IS NOT NULL",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let resident = |id: &str| {
        by_number
            .get(id)
            .copied()
            .ok_or_else(|| shiliu::Error::Internal(format!("no resident {id}")))
    };

    let t = Instant::now();
    let events = rows(&dir.join("rules/life_events.csv"))?;
    for chunk in events.chunks(BATCH) {
        reg.write(|b| {
            for r in chunk {
                b.add_life_event(NewLifeEvent {
                    resident: resident(&r[0])?,
                    kind: LifeEventKind::parse(&r[1]),
                    date: date(&r[2]).map_err(|e| shiliu::Error::Internal(e.to_string()))?,
                    note: None,
                })?;
            }
            Ok(())
        })?;
    }
    let flags = rows(&dir.join("rules/flags.csv"))?;
    for chunk in flags.chunks(BATCH) {
        reg.write(|b| {
            for r in chunk {
                let d = |s: &str| date(s).map_err(|e| shiliu::Error::Internal(e.to_string()));
                b.add_flag(NewFlag {
                    resident: resident(&r[0])?,
                    kind: FlagKind::parse(&r[1]),
                    detail: Some(r[2].clone()),
                    valid_from: d(&r[3])?,
                    valid_to: r
                        .get(4)
                        .filter(|s| !s.is_empty())
                        .map(|s| d(s))
                        .transpose()?,
                })?;
            }
            Ok(())
        })?;
    }
    println!(
        "  {} life events and {} flags in {:.1} s",
        n(events.len()),
        n(flags.len()),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let a = reg.import_activities(&ActivityImportOptions::new(
        dir.join("rules/activities.csv").display().to_string(),
    ))?;
    for x in a.rejected.iter().take(5) {
        println!(
            "    rejected activity row {}: {} ({:?})",
            x.row, x.message, x.value
        );
    }
    println!(
        "  activities: {} read, {} inserted, {} rejected in {:.1} s",
        n(a.rows_read),
        n(a.inserted),
        a.rejected.len(),
        t.elapsed().as_secs_f64()
    );
    if !a.rejected.is_empty() || rejected > 0 {
        return Err("the generated data was not taken as it is".into());
    }
    drop(reg);
    sql.execute_batch(&format!(
        "DROP INDEX {TEMP_INDEX}; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);"
    ))?;
    println!("  built in {:.1} s", t_all.elapsed().as_secs_f64());
    Ok(())
}

/// Counts in the registry file (outside the timings).
fn counts(db: &Path, year: i32) -> Res<BTreeMap<&'static str, usize>> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // Days as the store keeps them: since 1970-01-01.
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or("epoch")?;
    let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).map(|x| (x - epoch).num_days());
    let (lo, hi) = (day(1, 1).ok_or("year")?, day(12, 31).ok_or("year")?);
    let mut out = BTreeMap::new();
    let q =
        |sql: &str| -> Res<usize> { Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as usize) };
    out.insert(
        "residents",
        q("SELECT count(*) FROM resident WHERE sys_to IS NULL")?,
    );
    out.insert(
        "life_events",
        q("SELECT count(*) FROM life_event WHERE sys_to IS NULL")?,
    );
    out.insert(
        "flags",
        q("SELECT count(*) FROM flag WHERE sys_to IS NULL")?,
    );
    let in_year: i64 = c.query_row(
        "SELECT count(*) FROM activity WHERE sys_to IS NULL AND day BETWEEN ?1 AND ?2",
        [lo, hi],
        |r| r.get(0),
    )?;
    out.insert("activities", in_year as usize);
    Ok(out)
}

/// Times the evaluation (this process did not build anything).
fn measure(dir: &Path, db: &Path, year: i32, repeat: usize) -> Res<()> {
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).ok_or("year")?;
    let rules = RuleSet::preset("suzhou", &[])?;
    let req = EvaluationRequest::new(&year.to_string())?;

    // Cold: fresh handles.
    let mut cold = Vec::new();
    let mut reg = None;
    let mut ev = None;
    for _ in 0..3 {
        drop(reg.take());
        let t = Instant::now();
        let r = open(db, year_end)?;
        let view = r.view()?;
        let opened = ms(t);
        let e = view.evaluate(&rules, &req)?;
        cold.push((ms(t), opened));
        drop(view);
        reg = Some(r);
        ev = Some(e);
    }
    let (reg, ev) = (reg.ok_or("no handle")?, ev.ok_or("no evaluation")?);
    // Where a cold evaluation's time goes, on one more fresh handle: R1 alone first
    // (loads activities, events and flags and builds the residence snapshot; R1
    // itself costs ~2 ms), then R11 alone (adds the ledger's last-change dates).
    let only = |id: &str| EvaluationRequest {
        rules: vec![id.to_owned()],
        ..req.clone()
    };
    let t = Instant::now();
    let fresh = open(db, year_end)?;
    let view = fresh.view()?;
    let t_open = ms(t);
    let t = Instant::now();
    view.evaluate(&rules, &only("R1"))?;
    let t_load = ms(t);
    let t = Instant::now();
    view.evaluate(&rules, &only("R11"))?;
    let t_ledger = ms(t);
    let t = Instant::now();
    view.evaluate(&rules, &only("R11"))?;
    let t_ledger_warm = ms(t);
    drop((view, fresh));
    // Warm: the same handle.
    let mut warm = Vec::new();
    let mut digests = vec![ev.digest.clone()];
    let cpu0 = cpu_ms();
    for _ in 0..repeat {
        let t = Instant::now();
        let e = reg.view()?.evaluate(&rules, &req)?;
        warm.push(ms(t));
        digests.push(e.digest);
    }
    let warm_cpu = (cpu_ms() - cpu0) / repeat as f64;
    // On one thread (no split of the deadline triggers): the same findings.
    let threads_before = std::env::var("SHILIU_THREADS").ok();
    std::env::set_var("SHILIU_THREADS", "1");
    let t = Instant::now();
    let single = reg.view()?.evaluate(&rules, &req)?;
    let t_single = ms(t);
    match threads_before {
        Some(v) => std::env::set_var("SHILIU_THREADS", v),
        None => std::env::remove_var("SHILIU_THREADS"),
    }
    digests.push(single.digest);
    let same = digests.iter().all(|d| *d == ev.digest);
    // Each rule alone.
    let mut per_rule = Vec::new();
    for r in &rules.rules {
        let one = EvaluationRequest {
            rules: vec![r.id.clone()],
            ..req.clone()
        };
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t = Instant::now();
            std::hint::black_box(reg.view()?.evaluate(&rules, &one)?);
            best = best.min(ms(t));
        }
        per_rule.push((r.id.clone(), best));
    }
    let peak = common::peak_mib();
    // What the C and Python faces add: the whole evaluation as JSON text.
    let t = Instant::now();
    let json_bytes = serde_json::to_string(&ev)?.len();
    let t_json = ms(t);

    // What was evaluated.
    let net = reg.view()?;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let (lo, hi) = (req.period.from, req.period.to);
    for (_, f) in net.network().facts() {
        if let shiliu::network::Fact::Unit { kind, valid } = f {
            if valid.from <= hi && valid.to.is_none_or(|t| t > lo) {
                *kinds.entry(kind.label().to_owned()).or_default() += 1;
            }
        }
    }
    let c = counts(db, year)?;
    let meta: Value = serde_json::from_str(&fs::read_to_string(dir.join("rules/meta.json"))?)?;
    let arrivals = ev.findings.iter().filter(|f| f.rule == "R10").count();
    let life = ev.findings.iter().filter(|f| f.rule == "R6").count();
    let size = fs::metadata(db).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0;
    let k = |s: &str| kinds.get(s).copied().unwrap_or(0);

    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "shiliu rules benchmark ({}; preset {} {}, period {}, today {year_end}; {} CPUs, \
         load average {})",
        dir.display(),
        rules.id,
        rules.version,
        req.period.label(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "  data: {} communities ({} streets, {} liaison areas), {} residents in the ledger \
         ({} living in {year}), {} activities, {} trigger events ({} life events + {} migrant \
         arrivals), {} hardship flags; file {size:.0} MiB",
        n(k("community")),
        n(k("street")),
        n(k("area")),
        n(c["residents"]),
        n(meta["ledger"]["living_in_year"].as_u64().unwrap_or(0) as usize),
        n(c["activities"]),
        n(life + arrivals),
        n(life),
        n(arrivals),
        n(c["flags"])
    );
    let (cold_min, cold_med) = min_median(&cold.iter().map(|c| c.0).collect::<Vec<_>>());
    println!(
        "  cold (fresh handle: open + view + first evaluate): first {:.0} ms (open + view {:.0} ms); \
         3 handles min {cold_min:.0} ms, median {cold_med:.0} ms",
        cold[0].0, cold[0].1
    );
    println!(
        "    of which (one more fresh handle): open + view {t_open:.0} ms; loading activities, \
         events, flags and the residence snapshot {t_load:.0} ms; the ledger's last-change dates \
         {:.0} ms; the evaluation itself ~ the warm time",
        t_ledger - t_ledger_warm
    );
    let (wmin, wmed) = min_median(&warm);
    println!(
        "  warm (same handle, {repeat} runs): min {wmin:.1} ms, median {wmed:.1} ms; \
         CPU {warm_cpu:.0} ms a run  [target <= 200 ms: {}]",
        if wmed <= 200.0 { "met" } else { "NOT met" }
    );
    println!("    on one thread (SHILIU_THREADS=1): {t_single:.1} ms, the same digest");
    println!(
        "    answering as JSON (what the C and Python faces return) adds {t_json:.0} ms: the {} \
         findings are {:.1} MB of JSON",
        n(ev.findings.len()),
        json_bytes as f64 / 1e6
    );
    let parts: Vec<String> = per_rule
        .iter()
        .map(|(id, t)| format!("{id} {t:.1}"))
        .collect();
    println!(
        "  each rule alone, warm best of 3 (ms): {}",
        parts.join(", ")
    );

    // Findings by rule and status.
    let statuses = [
        Status::Met,
        Status::Breach,
        Status::OnTime,
        Status::Late,
        Status::Overdue,
        Status::Pending,
        Status::Warning,
        Status::NotApplicable,
    ];
    let mut table: BTreeMap<usize, [usize; 8]> = BTreeMap::new();
    for f in &ev.findings {
        let row = rules.rules.iter().position(|r| r.id == f.rule).unwrap_or(0);
        let col = statuses.iter().position(|s| *s == f.status).unwrap_or(0);
        table.entry(row).or_default()[col] += 1;
    }
    println!("  findings: {} in all", n(ev.findings.len()));
    let head: Vec<String> = statuses
        .iter()
        .map(|s| format!("{:>8}", short(*s)))
        .collect();
    println!("    rule {} {:>8}", head.join(""), "total");
    let mut totals = [0usize; 8];
    for (row, counts) in &table {
        let cells: Vec<String> = counts.iter().map(|c| format!("{:>8}", cell(*c))).collect();
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        println!(
            "    {:<4} {} {:>8}",
            rules.rules[*row].id,
            cells.join(""),
            counts.iter().sum::<usize>()
        );
    }
    let cells: Vec<String> = totals.iter().map(|c| format!("{:>8}", cell(*c))).collect();
    println!("    all  {} {:>8}", cells.join(""), ev.findings.len());
    if let Some(city) = ev
        .compliance
        .iter()
        .find(|r| r.depth == 0 && r.rule.is_none())
    {
        println!(
            "  compliance of {}: {:.1} % ({} compliant, {} not, {} undecided); {} compliance rows",
            city.name,
            city.rate.unwrap_or(f64::NAN) * 100.0,
            n(city.compliant),
            n(city.non_compliant),
            n(city.undecided),
            n(ev.compliance.len())
        );
    }
    println!(
        "  digest {} ({})",
        ev.digest,
        if same {
            format!("identical over all {} runs", digests.len() + 2)
        } else {
            "DIFFERS between runs".into()
        }
    );
    println!("  peak memory {peak:.0} MiB");
    if !same {
        return Err("the digest changed between runs".into());
    }
    Ok(())
}

fn short(s: Status) -> &'static str {
    match s {
        Status::Met => "met",
        Status::Breach => "breach",
        Status::OnTime => "on_time",
        Status::Late => "late",
        Status::Overdue => "overdue",
        Status::Pending => "pending",
        Status::Warning => "warning",
        Status::NotApplicable => "n/a",
    }
}

fn cell(c: usize) -> String {
    if c == 0 {
        ".".into()
    } else {
        c.to_string()
    }
}

fn run() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .cloned()
        .unwrap_or_else(|| "target/bench-rules".into());
    let repeat = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|r| r.parse().ok())
        .unwrap_or(10usize)
        .max(5);
    let dir = Path::new(&dir);
    let db = dir.join("rules.db");
    let stamp = dir.join("rules.db.stamp");
    let meta_text = fs::read_to_string(dir.join("rules/meta.json")).map_err(|e| {
        format!(
            "{}/rules/meta.json: {e} (run generate --rules first)",
            dir.display()
        )
    })?;
    let meta: Value = serde_json::from_str(&meta_text)?;
    let year = meta["parameters"]["year"].as_i64().ok_or("year")? as i32;
    let year_end = NaiveDate::from_ymd_opt(year, 12, 31).ok_or("year")?;
    let want = format!(
        "{}{}",
        fs::read_to_string(dir.join("meta.json")).unwrap_or_default(),
        meta_text
    );
    let fresh = db.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == want);
    if args.iter().any(|a| a == "--rebuild") || !fresh {
        let _ = fs::remove_file(&stamp);
        build(dir, &db, year_end)?;
        fs::write(&stamp, &want)?;
        // Measure in a fresh process: its peak memory is the evaluation's own.
        let status = Command::new(std::env::current_exe()?)
            .arg(dir)
            .args(["--repeat", &repeat.to_string()])
            .status()?;
        if !status.success() {
            return Err("the measuring process failed".into());
        }
        return Ok(());
    }
    measure(dir, &db, year, repeat)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("rules_bench: {e}");
        std::process::exit(1);
    }
}
