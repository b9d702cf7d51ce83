//! Categories, flags, life events and preferences, read from English or Chinese.

use serde::{Deserialize, Serialize};

/// 人员类别 — whether a resident is registered here or a migrant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 户籍 — registered (hukou) here.
    #[serde(alias = "户籍")]
    Registered,
    /// 流动 — migrant.
    #[serde(alias = "流动")]
    Migrant,
}

impl Category {
    /// Reads 户籍/户籍人口/常住户籍/registered or 流动/流动人口/外来/暂住/migrant (see
    /// [`crate::ingest::values::parse_category`] for the problem when it fails).
    pub fn parse(s: &str) -> Option<Category> {
        crate::ingest::values::parse_category(s).ok()
    }

    /// The stored number (1 registered, 2 migrant).
    pub fn code(self) -> i64 {
        match self {
            Category::Registered => 1,
            Category::Migrant => 2,
        }
    }

    /// From the stored number.
    pub fn from_code(c: i64) -> Option<Category> {
        match c {
            1 => Some(Category::Registered),
            2 => Some(Category::Migrant),
            _ => None,
        }
    }

    /// Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Category::Registered => "户籍",
            Category::Migrant => "流动",
        }
    }
}

use crate::vocabulary::vocabulary;

vocabulary! {
    /// A flag a resident carries over an interval.
    FlagKind {
        /// 困难 — in hardship (帮困).
        Hardship => "hardship", "困难" | "困难户" | "低保" | "特困";
        /// 独居老人 — elderly living alone.
        ElderlyAlone => "elderly_alone", "独居老人" | "空巢老人";
        /// 残疾 — disabled.
        Disabled => "disabled", "残疾" | "残疾人";
        /// 学生 — student.
        Student => "student", "学生";
        /// 代表人士 — representative figure.
        Representative => "representative", "代表人士" | "少数民族代表人士";
    }
}

vocabulary! {
    /// A dated life event: the triggers of the 四个必访 visits.
    LifeEventKind {
        /// 住院 — hospitalised.
        Hospitalised => "hospitalised", "住院" | "生病住院";
        /// 受灾 / 困难 — disaster or sudden hardship.
        Disaster => "disaster", "受灾" | "遭灾" | "突发困难";
        /// 纠纷 — dispute.
        Dispute => "dispute", "纠纷" | "矛盾纠纷";
        /// 特殊情况 — other special circumstance.
        Special => "special", "特殊情况" | "其他特殊情况";
        /// 死亡 — death.
        Death => "death", "死亡" | "去世";
    }
}

vocabulary! {
    /// A self-declared preference. Never inferred from ethnicity.
    PreferenceKind {
        /// 清真饮食 — halal diet.
        HalalDiet => "halal_diet", "清真饮食" | "清真";
        /// 丧葬习俗 — burial custom.
        BurialCustom => "burial_custom", "丧葬习俗" | "土葬";
    }
}
