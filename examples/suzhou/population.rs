//! The statistics part of the main job: a generated minority population for the seed's
//! city, a synthetic table of total population (the denominators of ‰), and the figures
//! a street or district reports — as of 2003 and 2024, as the units were and re-based —
//! and a table protected for publication. Deterministic; not tuned to the seed's numbers.

use chrono::NaiveDate;
use shiliu::codes::id_number::check_character;
use shiliu::network::{Fact, Hierarchy, NewUnit, UnitId, UnitKind};
use shiliu::register::ResidentImportOptions;
use shiliu::stats::aggregates::AggregateImportOptions;
use shiliu::stats::{CellStatus, Dimension, PopulationQuery, Table, TOTAL};
use shiliu::{Registry, Result};

use crate::network::d;
use crate::rng::Rng;

/// Residents generated (the seed speaks of about 16,000).
const RESIDENTS: usize = 16_000;

/// GB/T 3304 codes with weights typical of an eastern city.
const ETHNICITIES: &[(&str, u32)] = &[
    ("03", 22),
    ("06", 11),
    ("15", 10),
    ("11", 9),
    ("08", 8),
    ("02", 5),
    ("09", 4),
    ("07", 4),
    ("12", 4),
    ("10", 3),
    ("05", 2),
    ("04", 2),
    ("13", 2),
    ("14", 2),
    ("22", 1),
    ("19", 1),
    ("17", 1),
    ("18", 1),
    ("25", 1),
    ("37", 1),
    ("16", 1),
    ("33", 1),
    ("20", 1),
    ("26", 1),
];

fn io(path: &str) -> impl FnOnce(std::io::Error) -> shiliu::Error + '_ {
    move |source| shiliu::Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Adds three communities under every street of 2024 and a street with communities under
/// every district that has none, so that residents can live all over the city.
fn add_communities(reg: &Registry) -> Result<()> {
    let view = reg.view()?;
    let net = view.network();
    // Every street and district of 2003 or of 2024, once.
    let mut nodes = view.tree(None, d("2003-12-31"), &Hierarchy::Legal)?;
    nodes.extend(view.tree(None, d("2024-12-31"), &Hierarchy::Legal)?);
    let mut seen = std::collections::HashSet::new();
    nodes.retain(|n| seen.insert(n.unit.id));
    let mut serial = 0;
    reg.write(|b| {
        let mut code = || {
            serial += 1;
            format!("320599{serial:06}")
        };
        for n in &nodes {
            let (kind, valid) = match net.fact(n.unit.id) {
                Some(Fact::Unit { kind, valid }) => (kind.clone(), *valid),
                _ => continue,
            };
            let has_streets = net.facts().any(|(_, f)| {
                matches!(f, Fact::UnitParent { parent, hierarchy: Hierarchy::Legal, .. } if *parent == n.unit.id)
            });
            let (parent, base) = match kind {
                UnitKind::Street => (n.unit.id, n.unit.name.trim_end_matches("街道").to_owned()),
                UnitKind::District if !has_streets => {
                    let base = n.unit.name.trim_end_matches(['区', '市']).to_owned();
                    let mut s = NewUnit::new(UnitKind::Street, format!("{base}示例街道"), valid.from)
                        .parent(n.unit.id)
                        .code(code());
                    s.valid_to = valid.to;
                    (b.add_unit(s)?, base)
                }
                _ => continue,
            };
            for suffix in ["东", "西", "新"] {
                let mut c = NewUnit::new(UnitKind::Community, format!("{base}{suffix}社区"), valid.from)
                    .parent(parent)
                    .code(code());
                c.valid_to = valid.to;
                b.add_unit(c)?;
            }
        }
        Ok(())
    })
}

/// Every community with its existence interval.
fn communities(reg: &Registry) -> Result<Vec<(UnitId, NaiveDate, Option<NaiveDate>)>> {
    let view = reg.view()?;
    Ok(view
        .network()
        .facts()
        .filter_map(|(id, f)| match f {
            Fact::Unit {
                kind: UnitKind::Community,
                valid,
            } => Some((id, valid.from, valid.to)),
            _ => None,
        })
        .collect())
}

/// Writes the generated population as a ledger CSV (communities by code or name path).
fn write_population(reg: &Registry, file: &str) -> Result<()> {
    let view = reg.view()?;
    let net = view.network();
    let places = communities(reg)?;
    let mut rng = Rng::new(0x5e1f_2024, 0);
    let total_weight: u32 = ETHNICITIES.iter().map(|e| e.1).sum();
    let mut out = String::from(
        "姓名,性别,民族,公民身份号码,出生日期,所属社区,人员类别,流出地,来苏时间,离开时间\n",
    );
    let start = d("1990-01-01");
    let span = (d("2024-12-01") - start).num_days() as f64;
    for i in 0..RESIDENTS {
        // Arrivals grow denser over time.
        let u = (rng.below(1_000_000) as f64 / 1e6).powf(0.6);
        let arrived = start + chrono::Duration::days((u * span) as i64);
        let open: Vec<&(UnitId, NaiveDate, Option<NaiveDate>)> = places
            .iter()
            .filter(|(_, f, t)| *f <= arrived && t.is_none_or(|t| arrived < t))
            .collect();
        if open.is_empty() {
            continue;
        }
        let (place, _, end) = *open[rng.below(open.len() as u64) as usize];
        let mut w = rng.below(u64::from(total_weight)) as u32;
        let eth = ETHNICITIES
            .iter()
            .find(|(_, x)| {
                if w < *x {
                    true
                } else {
                    w -= x;
                    false
                }
            })
            .map_or("03", |e| e.0);
        let migrant = rng.below(10) < 4;
        let male = rng.below(2) == 0;
        let birth = arrived - chrono::Duration::days(365 * (1 + rng.below(60) as i64));
        let left = match (end, rng.below(8)) {
            (Some(e), _) => Some(e),
            (None, 0) => Some(arrived + chrono::Duration::days(30 + rng.below(3000) as i64)),
            _ => None,
        };
        let left = left.filter(|l| *l <= d("2026-10-31"));
        let region = if migrant { "640104" } else { "320508" };
        let seq = (i % 499) * 2 + if male { 1 } else { 2 };
        let first17 = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
        let id = format!("{first17}{}", check_character(&first17).unwrap_or('0'));
        let place_text = net
            .code_at(place, arrived)
            .map(str::to_owned)
            .unwrap_or(net.path_of(place, arrived, &Hierarchy::Legal)?);
        out.push_str(&format!(
            "居民{i},{},{eth},{id},{birth},{place_text},{},{},{arrived},{}\n",
            if male { "男" } else { "女" },
            if migrant { "流动" } else { "户籍" },
            if migrant { region } else { "" },
            left.map(|l| l.to_string()).unwrap_or_default(),
        ));
    }
    std::fs::write(file, out.as_bytes()).map_err(io(file))
}

/// A synthetic household-register extract (户籍人口统计, 合成): each district's and the
/// city's total population at the end of 2003 and of 2024.
fn write_totals(reg: &Registry, file: &str) -> Result<()> {
    let view = reg.view()?;
    let mut out = String::from("苏州市户籍人口统计（示例，合成数据）\n单位代码,民族,日期,人数\n");
    for date in ["2003-12-31", "2024-12-31"] {
        let mut city = 0u64;
        let mut city_code = String::new();
        for n in view.tree(None, d(date), &Hierarchy::Legal)? {
            let Some(code) = n.unit.code.clone() else {
                continue;
            };
            match n.unit.kind.as_str() {
                "city" => city_code = code,
                "district" => {
                    let digits: u64 = code.bytes().map(|b| u64::from(b - b'0')).sum();
                    let grow = if date.starts_with("2024") { 2 } else { 1 };
                    let total = (280_000 + 37_000 * (digits % 11)) * grow;
                    city += total;
                    out.push_str(&format!("{code},合计,{date},{total}\n"));
                }
                _ => {}
            }
        }
        out.push_str(&format!("{city_code},合计,{date},{city}\n"));
    }
    std::fs::write(file, out.as_bytes()).map_err(io(file))
}

fn figure(t: &Table, i: usize) -> String {
    let n = t.headcount[i].map_or("—".to_owned(), |n| n.to_string());
    let c = t.components[i].map_or("—".to_owned(), |c| c.to_string());
    let s = t.share[i].map_or("缺失".to_owned(), |s| format!("{s:.2}‰"));
    format!("{n:>6} 人  {c:>2} 个民族成分  {s}")
}

/// Prints the city and its districts: headcount, components and ‰.
fn print_summary(title: &str, t: &Table) {
    println!("\n== {title} ==");
    for i in 0..t.len() {
        let u = &t.units[t.unit[i] as usize];
        if t.keys.iter().any(|k| k[i] != TOTAL) || !(u.level == "city" || u.level == "district") {
            continue;
        }
        let indent = if u.level == "city" { "" } else { "  " };
        let split = if t.split[i] { " *" } else { "" };
        println!("{indent}{:<10} {}{split}", u.name, figure(t, i));
    }
    for n in &t.notes {
        println!("注：{n}");
    }
}

/// Generates and imports the population and the totals, then prints the statistics.
pub fn report(reg: &Registry, db: &str) -> Result<()> {
    add_communities(reg)?;
    let stem = db.trim_end_matches(".db");
    let people = format!("{stem}-population.csv");
    write_population(reg, &people)?;
    let r = reg.import_residents(
        &ResidentImportOptions {
            path: people.clone(),
            ..Default::default()
        },
        None,
    )?;
    let totals = format!("{stem}-totals.csv");
    write_totals(reg, &totals)?;
    let a = reg.import_aggregates(&AggregateImportOptions::new(&totals, "户籍人口（示例）"))?;
    println!(
        "\n== 生成的少数民族人口 {people}: {} 行导入 {} 人，拒绝 {}；总人口表 {totals}: {} 个数 ==",
        r.rows_read,
        r.inserted,
        r.rejected.len(),
        a.stored
    );
    for x in r.rejected.iter().take(3) {
        println!(
            "  第{}行 [{}]：{}（{}）",
            x.row,
            x.column.as_deref().unwrap_or("-"),
            x.message_zh,
            x.code
        );
    }
    let view = reg.view()?;
    let by_level = |date: &str| PopulationQuery::new(d(date)).level("all");
    print_summary(
        "2003-12-31，按当时区划 (as it was)",
        &view.population(&by_level("2003-12-31"))?,
    );
    print_summary(
        "2024-12-31，按当时区划 (as it was)",
        &view.population(&by_level("2024-12-31"))?,
    );
    let mut rebased = by_level("2003-12-31");
    rebased.rebase_to = Some(d("2024-12-31"));
    print_summary(
        "2003-12-31，按 2024 年区划 (re-based: 沧浪、平江、金阊 → 姑苏区)",
        &view.population(&rebased)?,
    );
    // A table ready to publish: 姑苏区's streets × ethnicity, k = 5 (primary and
    // secondary suppression), as of 2024-12-31.
    let gusu = view.find_by_code("320508", d("2024-12-31"))?.id;
    let mut q = PopulationQuery::new(d("2024-12-31"))
        .by(&[Dimension::Ethnicity])
        .level("street");
    q.under = Some(gusu);
    q.publish = true;
    let t = view.population(&q)?;
    println!(
        "\n== 可公布表：2024-12-31 姑苏区各街道少数民族人口（k = {}，× = 隐藏） ==",
        t.k.unwrap_or(0)
    );
    let mut line = String::new();
    let mut hidden = (0, 0);
    for i in 0..t.len() {
        let u = &t.units[t.unit[i] as usize];
        let cell = match t.status[i] {
            CellStatus::Published => t.headcount[i].map_or(String::new(), |n| n.to_string()),
            CellStatus::Primary => {
                hidden.0 += 1;
                "×".into()
            }
            CellStatus::Secondary => {
                hidden.1 += 1;
                "×".into()
            }
        };
        if t.keys[0][i] == TOTAL {
            if !line.is_empty() {
                println!("{line}");
            }
            line = format!("{}（合计 {cell}）:", u.name);
        } else {
            line.push_str(&format!(
                " {}{cell}",
                t.dimensions[0].names[t.keys[0][i] as usize]
            ));
        }
    }
    println!("{line}");
    println!("主隐藏 {} 格，次隐藏 {} 格；其余公布。", hidden.0, hidden.1);
    for n in &t.notes {
        println!("注：{n}");
    }
    Ok(())
}
