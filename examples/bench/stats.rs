//! Benchmark of the statistics engine on a generated city (the layout of
//! `../shared/bench/gen_population.py` or of the project's own generator).
//!
//! Run: `make bench-stats` (1,000,000 residents of `gen_population.py`; `STATS_RESIDENTS=10000000` for 10M), beside the peers.
//! Steps, each timed:
//! 1. import `units.csv` (+ `reorganisations.csv`) and `residents.csv` into
//!    `DIR/shiliu.db` once (kept for later runs; `--reimport` forces it);
//! 2. open the file afresh and answer the first query (snapshot built from the file);
//! 3. the as-of roll-up (every unit at every level × ethnicity, plus each unit's total
//!    and distinct components) on a different date each repeat — the job
//!    `peer_bench.py` times — and its checksum in the peers' format;
//! 4. a 10-year monthly trend (120 periods) at district level × ethnicity, and at every
//!    level (totals only).

#[path = "common.rs"]
mod common;

use common::peak_mib;
use std::time::Instant;

use sha2::{Digest, Sha256};
use shiliu::network::UnitImportOptions;
use shiliu::register::ResidentImportOptions;
use shiliu::stats::{Dimension, Period, PopulationQuery, Table, TrendQuery, TOTAL};
use shiliu::{OpenOptions, Registry, Result};

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}

/// The peers' checksum: sorted `code|level|ethnicity|residents|ethnicities` lines.
fn checksum(t: &Table) -> (String, usize, u64) {
    let mut lines: Vec<String> = Vec::with_capacity(t.len());
    let mut city_total = 0;
    for i in 0..t.len() {
        let u = &t.units[t.unit[i] as usize];
        let code: u64 = u.code.as_deref().unwrap_or("0").parse().unwrap_or(0);
        let e = t.keys[0][i];
        let n = t.headcount[i].unwrap_or(0);
        let (eth, k) = if e == TOTAL {
            if u.level == "city" {
                city_total = n;
            }
            ("ALL".to_owned(), t.components[i].unwrap_or(0))
        } else {
            (t.dimensions[0].codes[e as usize].clone(), 1)
        };
        lines.push(format!("{code}|{}|{eth}|{n}|{k}", u.level));
    }
    lines.sort();
    let digest = Sha256::digest(lines.join("\n").as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    (hex, lines.len(), city_total)
}

fn import(dir: &str, db: &str) -> Result<()> {
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{s}"));
    }
    let reg = Registry::open(db, OpenOptions::default())?;
    let reorg = format!("{dir}/reorganisations.csv");
    let t = Instant::now();
    reg.import_units(&UnitImportOptions {
        path: format!("{dir}/units.csv"),
        reorganisations: std::path::Path::new(&reorg).exists().then_some(reorg),
        dry_run: false,
    })?;
    let r = reg.import_residents(
        &ResidentImportOptions {
            path: format!("{dir}/residents.csv"),
            mapping: vec![("unit_code".into(), "community".into())],
            ..Default::default()
        },
        None,
    )?;
    println!(
        "  import: {} rows ({} inserted, {} rejected) in {:.1} s",
        r.rows_read,
        r.inserted,
        r.rejected.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "target/bench-stats-1m".into());
    let repeat: usize = std::env::var("STATS_REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let db = format!("{dir}/shiliu.db");
    println!("shiliu statistics benchmark ({dir})");
    if args.iter().any(|a| a == "--reimport") || !std::path::Path::new(&db).exists() {
        import(&dir, &db)?;
    }
    let base: chrono::NaiveDate = "2024-12-31"
        .parse()
        .map_err(|_| shiliu::Error::Internal("date".into()))?;
    let query = |d: chrono::NaiveDate| PopulationQuery::new(d).by(&[Dimension::Ethnicity]);

    // Open + first query.
    let t = Instant::now();
    let reg = Registry::open(&db, OpenOptions::default())?;
    let first = reg.view()?.population(&query(base))?;
    let open_first = ms(t);
    let (sum, rows, total) = checksum(&first);
    let view = reg.view()?;
    let (bytes, stays, _) = view.stats_snapshot_bytes()?;
    println!(
        "  open + first query: {open_first:.0} ms; snapshot {stays} stays, {:.1} bytes/stay",
        bytes as f64 / stays.max(1) as f64
    );
    println!("  checksum as of {base}: {sum} ({rows} rows, city total {total})");

    // Warm as-of roll-ups on different dates.
    let mut times = Vec::new();
    for i in 0..repeat {
        let d = base - chrono::Duration::days(i as i64 + 1);
        let t = Instant::now();
        let table = view.population(&query(d))?;
        times.push(ms(t));
        std::hint::black_box(table.len());
    }
    let (min, med) = stats(&mut times);
    println!("  as-of roll-up (every level x ethnicity): min {min:.2} ms, median {med:.2} ms");

    // Disclosure control (k = 5) on published tables.
    // Every level at once takes minutes (see the note); `STATS_K_ALL=1` includes it.
    let levels: &[&str] = if std::env::var_os("STATS_K_ALL").is_some() {
        &["district", "street", "all"]
    } else {
        &["district", "street"]
    };
    for &level in levels {
        let t = Instant::now();
        let table = view.population(&query(base).level(level).k(5))?;
        let took = ms(t);
        let count = |s: shiliu::stats::CellStatus| table.status.iter().filter(|x| **x == s).count();
        println!(
            "  k = 5, {level} level x ethnicity: {took:.0} ms; {} cells: {} primary, {} secondary",
            table.len(),
            count(shiliu::stats::CellStatus::Primary),
            count(shiliu::stats::CellStatus::Secondary)
        );
    }
    if std::env::var_os("STATS_NO_TREND").is_some() {
        return Ok(());
    }
    // Trends.
    for (label, level, by) in [
        (
            "district level x ethnicity",
            Some("district"),
            vec![Dimension::Ethnicity],
        ),
        ("every level, totals", None, vec![]),
    ] {
        if std::env::var("STATS_TREND").is_ok_and(|t| !label.starts_with(&t)) {
            continue;
        }
        let mut times = Vec::new();
        let mut rows = 0;
        for i in 0..5 {
            let mut q = PopulationQuery::new(base).by(&by);
            if let Some(l) = level {
                q = q.level(l);
            }
            let tq = TrendQuery {
                query: q,
                from: "2015-01-01"
                    .parse()
                    .map_err(|_| shiliu::Error::Internal("date".into()))?,
                to: base - chrono::Duration::days(i),
                period: Period::Month,
            };
            let t = Instant::now();
            let table = view.population_trend(&tq)?;
            times.push(ms(t));
            rows = table.len();
        }
        let (min, med) = stats(&mut times);
        println!("  120-month trend, {label}: min {min:.1} ms, median {med:.1} ms ({rows} rows)");
    }
    println!("  peak memory {:.0} MiB", peak_mib());
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("stats_bench: {e}");
        std::process::exit(1);
    }
}
