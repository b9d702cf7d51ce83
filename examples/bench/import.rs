//! Benchmark of the ledger import: a generated city's residents (CSV, Chinese headers)
//! into a new registry file with the shipped durability settings (WAL, foreign keys,
//! `synchronous = FULL`).
//!
//! Run: `make bench-import` (generates 1,000,000 residents into target/bench-1m first).
//! Prints rows/s for the import and the re-import, and the process's peak memory.

#[path = "common.rs"]
mod common;

use common::peak_mib;
use std::time::Instant;

use shiliu::network::UnitImportOptions;
use shiliu::register::ResidentImportOptions;
use shiliu::{OpenOptions, Registry, Result};

fn run() -> Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench-1m".into());
    let db = format!("{dir}/bench.db");
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{s}"));
    }
    let reg = Registry::open(&db, OpenOptions::default())?;
    let units = reg.import_units(&UnitImportOptions {
        path: format!("{dir}/units.csv"),
        reorganisations: Some(format!("{dir}/reorganisations.csv")),
        dry_run: false,
    })?;
    let opts = ResidentImportOptions {
        path: format!("{dir}/residents.csv"),
        ..Default::default()
    };
    let t = Instant::now();
    let sheets = shiliu::ingest::read_table(
        &opts.path,
        shiliu::ingest::LEDGER_FIELDS,
        &Default::default(),
    )?;
    let read = t.elapsed().as_secs_f64();
    let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
    drop(sheets);
    println!("  read_table alone: {rows} rows in {read:.2} s");
    let t = Instant::now();
    let r = reg.import_residents(&opts, None)?;
    let first = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = reg.import_residents(&opts, None)?;
    let second = t.elapsed().as_secs_f64();
    let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    println!("shiliu ledger import benchmark ({dir})");
    println!("  units: {} created", units.units_created);
    println!(
        "  import   : {} rows in {first:.2} s = {:.0} rows/s ({} inserted, {} rejected, {} warnings)",
        r.rows_read,
        r.rows_read as f64 / first,
        r.inserted,
        r.rejected.len(),
        r.warnings.len()
    );
    println!(
        "  re-import: {} rows in {second:.2} s = {:.0} rows/s ({} unchanged)",
        again.rows_read,
        again.rows_read as f64 / second,
        again.unchanged
    );
    println!(
        "  database file {size:.0} MiB; peak memory {:.0} MiB",
        peak_mib()
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("import_bench: {e}");
        std::process::exit(1);
    }
}
