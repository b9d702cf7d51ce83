//! Denominators: each unit's total population from an aggregate table.

use super::aggregates::read_counts;
use super::query::PopulationQuery;
use super::table::{Table, TOTAL};
use crate::error::Result;
use crate::registry::View;

/// Fills `population` (the unit's total from the denominator table, at its latest
/// reference date on or before `as_of`) and `share` of every row. Without a denominator
/// both stay `None` — missing, never zero — and the table's notes say why.
pub(crate) fn apply(
    view: &View,
    q: &PopulationQuery,
    as_of: chrono::NaiveDate,
    t: &mut Table,
) -> Result<()> {
    let at = view.transaction();
    let counts = view
        .registry()
        .with_reader(|c| read_counts(c, q.denominators.as_deref(), as_of, at))?;
    t.population = vec![None; t.len()];
    t.share = vec![None; t.len()];
    let Some(counts) = counts else {
        t.notes.push(match &q.denominators {
            Some(n) => {
                format!("no aggregate table named {n}: shares are missing (无此汇总表，占比缺失)")
            }
            None => "no aggregate table of total population was imported: shares are missing \
                     (未导入总人口汇总表，占比缺失)"
                .to_owned(),
        });
        return Ok(());
    };
    let factor = q.share_unit.factor();
    let mut missing = 0;
    for i in 0..t.len() {
        let unit = t.units[t.unit[i] as usize].id;
        let pop = counts.counts.get(&(unit, 0)).map(|(_, n)| *n);
        if pop.is_none() && t.keys.iter().all(|k| k[i] == TOTAL) {
            missing += 1;
        }
        t.population[i] = pop;
        t.share[i] = match (t.headcount[i], pop) {
            (Some(n), Some(p)) if p > 0 => Some(n as f64 / p as f64 * factor),
            _ => None,
        };
    }
    if missing > 0 {
        t.notes.push(format!(
            "{missing} units have no total population in table {}: their shares are missing \
             ({missing} 个单位缺少总人口，占比缺失)",
            counts.name
        ));
    }
    Ok(())
}
