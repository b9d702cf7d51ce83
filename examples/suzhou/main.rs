//! The main job: builds the seed's network for 苏州市 with its reorganisations, writes
//! `suzhou.db`, and prints what the report talks about: the network, the ledger import,
//! the population statistics, and the institutions (rules, findings, compliance,
//! model-community ranking).
//!
//! Run: `cargo run --release --example suzhou [path/to/suzhou.db]`

mod institutions;
mod ledger;
mod network;
mod population;
#[path = "../generate/rng.rs"]
#[allow(dead_code)]
mod rng;
mod rules_report;

use network::d;
use shiliu::network::{Hierarchy, TreeNode};
use shiliu::{OpenOptions, Registry, Result};

fn print_tree(title: &str, nodes: &[TreeNode]) {
    println!("\n== {title} ==");
    for n in nodes {
        println!(
            "{}{} [{}]{}",
            "  ".repeat(n.depth),
            n.unit.name,
            n.unit.kind_zh,
            n.unit
                .code
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default()
        );
    }
}

fn run() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "suzhou.db".into());
    // The example rebuilds its database from scratch on every run.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let reg = Registry::open(&path, OpenOptions::default())?;
    let s = network::build(&reg)?;
    let view = reg.view()?;
    let legal = Hierarchy::Legal;

    print_tree(
        "苏州市 as of 2003-06-30",
        &view.tree(Some(s.city), d("2003-06-30"), &legal)?,
    );
    print_tree(
        "府前街道 by working area (联络片) as of 2003-06-30",
        &view.tree(Some(s.fuqian), d("2003-06-30"), &Hierarchy::Working)?,
    );
    print_tree(
        "苏州市 as of 2024-12-31",
        &view.tree(Some(s.city), d("2024-12-31"), &legal)?,
    );

    println!("\n== 府前街道社区少数民族工作领导小组, 2003-06-30 ==");
    for h in view.post_holders(s.fuqian, d("2003-06-30"))? {
        if h.body != Some(s.fuqian_group) {
            continue;
        }
        let holder = h
            .holder
            .as_ref()
            .map(|p| p.name.as_str())
            .unwrap_or("（空缺）");
        println!(
            "{}: {} {} — {}",
            h.role_zh,
            holder,
            if h.holder_titles.is_empty() {
                String::new()
            } else {
                format!("({})", h.holder_titles.join("、"))
            },
            h.responsibility.as_deref().unwrap_or("")
        );
    }

    let today = reg.today();
    println!("\n== 府前街道 today ({today}) ==");
    for u in view.successors(s.fuqian, today)? {
        let path = view.network().path_of(u.id, today, &legal)?;
        println!("府前街道 → {} ({path})", u.name);
    }
    println!("\n== Lineage of 姑苏区 ==");
    for l in view.predecessors(s.gusu)? {
        println!(
            "{} {}: {} → {}",
            l.date, l.kind_zh, l.predecessor_name, l.successor_name
        );
    }
    import_ledger(&reg, &path, &s)?;
    population::report(&reg, &path)?;
    rules_report::report(&reg, &s)?;
    println!(
        "\nWrote {path} (recorded transaction {}); open it with shiliu in C or Python.",
        reg.view()?.transaction()
    );
    Ok(())
}

/// Writes the sample ledger as GB18030 next to the database, imports it and prints the
/// report the street staff would read.
fn import_ledger(reg: &Registry, db: &str, s: &network::Suzhou) -> Result<()> {
    use shiliu::register::ResidentImportOptions;
    let file = format!("{}-ledger.csv", db.trim_end_matches(".db"));
    let text = ledger::text();
    let (bytes, _, _) = encoding_rs::GB18030.encode(&text);
    std::fs::write(&file, &bytes).map_err(|e| shiliu::Error::Io {
        path: file.clone(),
        source: e,
    })?;
    let opts = ResidentImportOptions {
        path: file.clone(),
        ..Default::default()
    };
    let r = reg.import_residents(&opts, None)?;
    println!("\n== 台账导入 {file} (GB18030) ==");
    println!(
        "读取 {} 行：新增 {}，更新 {}，未变 {}，拒绝 {}，跳过 {}（合计/空行）",
        r.rows_read,
        r.inserted,
        r.updated,
        r.unchanged,
        r.rejected.len(),
        r.skipped.len()
    );
    for x in &r.rejected {
        println!(
            "  第{}行 [{}] {}：{}（{}）",
            x.row,
            x.column.as_deref().unwrap_or("-"),
            x.value.as_deref().unwrap_or(""),
            x.message_zh,
            x.code
        );
    }
    for w in &r.warnings {
        println!("  第{}行 提示 {}：{}", w.row, w.code, w.message);
    }
    if !r.uncertain_matches.is_empty() {
        println!(
            "  无身份证号、按姓名+出生日期+性别+社区识别的行：{:?}",
            r.uncertain_matches
        );
    }
    let today = reg.today();
    let view = reg.view()?;
    let list = view.residents(s.gusu, today, &shiliu::network::Hierarchy::Legal)?;
    println!(
        "\n== 姑苏区少数民族居民（{today}，默认脱敏），共 {} 人 ==",
        list.len()
    );
    for r in list.iter().take(5) {
        println!(
            "  {} {} {} {} {}",
            r.name,
            r.ethnicity_name,
            r.id_number.as_deref().unwrap_or("（无证件号）"),
            r.phone.as_deref().unwrap_or(""),
            r.category.name_zh()
        );
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("suzhou: {e}");
        std::process::exit(1);
    }
}
