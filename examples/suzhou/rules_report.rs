//! The main job's institutions section: the seed's year at 府前街道 judged by the preset
//! rules, the compliance roll-up and the model-community ranking.

use shiliu::rules::{EvaluationRequest, Range, RuleSet, Scheme, Status};
use shiliu::{Registry, Result};

use super::institutions;
use super::network::Suzhou;

/// Records the year, evaluates the preset and prints findings, roll-up and ranking.
pub fn report(reg: &Registry, s: &Suzhou) -> Result<()> {
    institutions::record_2003(reg, s)?;
    let rules = RuleSet::preset("suzhou", &[])?;
    let req = EvaluationRequest::new("2003")?.under(s.fuqian);
    let ev = reg.evaluate(&rules, &req, true)?;
    println!(
        "\n== 制度检查：府前街道 2003 年（规则集 {} {}，{} 条规则）==",
        rules.id,
        rules.version,
        rules.rules.len()
    );
    let mut counts: Vec<(Status, usize)> = Vec::new();
    for f in &ev.findings {
        match counts.iter_mut().find(|(s, _)| *s == f.status) {
            Some((_, n)) => *n += 1,
            None => counts.push((f.status, 1)),
        }
    }
    counts.sort();
    println!(
        "{} 条结论：{}",
        ev.findings.len(),
        counts
            .iter()
            .map(|(s, n)| format!("{} {n}", s.name_zh()))
            .collect::<Vec<_>>()
            .join("，")
    );
    println!("-- 需要整改的结论（每条规则至多列 4 条）--");
    for r in &rules.rules {
        let bad: Vec<_> = ev
            .findings
            .iter()
            .filter(|f| f.rule == r.id && f.status.compliant() == Some(false))
            .collect();
        for f in bad.iter().take(4) {
            println!("  [{}] {}", f.rule, f.explanation_zh);
        }
        if bad.len() > 4 {
            println!("  [{}] …… 另有 {} 条", r.id, bad.len() - 4);
        }
    }
    println!("-- 合规率（逐级汇总，全部规则）--");
    for c in ev.compliance.iter().filter(|c| c.rule.is_none()) {
        println!(
            "  {}{}：{} / {} 达标{}",
            "  ".repeat(c.depth),
            c.name,
            c.compliant,
            c.compliant + c.non_compliant,
            c.rate
                .map(|r| format!("（{:.1}%）", r * 100.0))
                .unwrap_or_default()
        );
    }
    let run = ev.run.unwrap_or_default();
    let again = reg.reproduce(run)?;
    println!(
        "检查记录 #{run}（事务 {}，规则集哈希 {}…）复现：{}",
        ev.transaction,
        &ev.hash[..12],
        if again.digest == ev.digest {
            "结论一致"
        } else {
            "结论不一致"
        }
    );
    let scheme = Scheme::preset("model_community")?;
    let a = reg
        .view()?
        .assess(&scheme, &rules, Range::parse("2003")?, Some(s.fuqian))?;
    println!(
        "\n== 示范社区评选（{}：≥{} 分且无一票否决）==",
        scheme.name.as_deref().unwrap_or(&scheme.id),
        scheme.threshold
    );
    for sc in &a.scores {
        let weakest: Vec<String> = sc
            .items
            .iter()
            .filter(|i| i.points < i.max)
            .map(|i| format!("{} {}/{}", i.name, i.points, i.max))
            .collect();
        println!(
            "  {}. {} {:.2} 分{}  失分项：{}",
            sc.rank,
            sc.name,
            sc.total,
            if sc.eligible { "（可申报）" } else { "" },
            weakest.join("；")
        );
    }
    Ok(())
}
