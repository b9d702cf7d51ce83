//! Benchmark of the network foundation on the generator's city (1,291 communities,
//! tests/data/units.csv from `gen_population.py --seed 1`).
//!
//! Run: `make bench` (= `cargo run --release --example network_bench`). Prints the
//! median of repeated runs for: the import, opening and loading a snapshot, as-of tree
//! queries of the whole city on different dates, path lookups, and reads from 2 threads.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use shiliu::network::{Hierarchy, UnitImportOptions};
use shiliu::{OpenOptions, Registry, Result};

fn data(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(name)
        .display()
        .to_string()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut(usize) -> Result<T>) -> Result<Duration> {
    let mut v = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f(i)?);
        v.push(t.elapsed());
    }
    Ok(median(v))
}

fn remove(path: &std::path::Path) {
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
}

fn run() -> Result<()> {
    let path = std::env::temp_dir().join(format!("shiliu-bench-{}.db", std::process::id()));
    let opts = UnitImportOptions {
        path: data("units.csv"),
        reorganisations: Some(data("reorganisations.csv")),
        dry_run: false,
    };
    let import = time(5, |_| {
        remove(&path);
        let reg = Registry::open(&path, OpenOptions::default())?;
        reg.import_units(&opts)
    })?;
    let reg = Registry::open(&path, OpenOptions::default())?;
    let units = reg.view()?.network().facts().count();
    let load = time(20, |_| {
        let r = Registry::open(&path, OpenOptions::default())?;
        r.view().map(|v| v.transaction())
    })?;
    let base = NaiveDate::from_ymd_opt(1995, 1, 1).unwrap_or_default();
    let dates: Vec<NaiveDate> = (0..50).map(|i| base + chrono::Days::new(i * 211)).collect();
    let view = reg.view()?;
    let tree = time(dates.len(), |i| {
        view.tree(None, dates[i], &Hierarchy::Legal)
            .map(|t| t.len())
    })?;
    let nodes = view.tree(None, dates[49], &Hierarchy::Legal)?.len();
    let paths: Vec<String> = view
        .tree(None, dates[49], &Hierarchy::Legal)?
        .into_iter()
        .filter(|n| n.depth == 3)
        .take(200)
        .map(|n| n.path)
        .collect();
    let lookup = time(paths.len(), |i| {
        view.find_by_path(&paths[i], dates[49], &Hierarchy::Legal)
            .map(|u| u.id)
    })?;
    let view_call = time(1000, |_| reg.view().map(|v| v.transaction()))?;
    let threads = 2;
    let per_thread = 200;
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let reg = reg.clone();
            let dates = &dates;
            s.spawn(move || {
                for i in 0..per_thread {
                    let v = reg.view().ok();
                    let _ =
                        v.map(|v| v.tree(None, dates[(i + k) % dates.len()], &Hierarchy::Legal));
                }
            });
        }
    });
    let parallel = t.elapsed();
    println!("shiliu network benchmark (release, median of runs; {units} current facts)");
    println!(
        "  import units.csv (1,427 rows) + lineage into a new file : {:>8.1} ms",
        ms(import)
    );
    println!(
        "  open file + load snapshot                               : {:>8.1} ms",
        ms(load)
    );
    println!(
        "  whole-city as-of tree ({nodes} units), 50 dates          : {:>8.2} ms",
        ms(tree)
    );
    println!(
        "  find_by_path (district/street/community)                : {:>8.1} µs",
        us(lookup)
    );
    println!(
        "  view() on an unchanged registry (freshness check)       : {:>8.1} µs",
        us(view_call)
    );
    println!(
        "  {threads} threads × {per_thread} whole-city trees on one handle          : {:>8.1} ms ({:.0} trees/s)",
        ms(parallel),
        (threads * per_thread) as f64 / parallel.as_secs_f64()
    );
    drop((view, reg));
    remove(&path);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    if let Err(e) = run() {
        eprintln!("network_bench: {e}");
        std::process::exit(1);
    }
}
