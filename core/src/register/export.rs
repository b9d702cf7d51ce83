//! Exporting residents to CSV (UTF-8 with BOM, so that Excel reads it) or XLSX, with the
//! ledger's Chinese headers. Personal data is masked unless the principal may see it
//! and has stated a purpose; an unmasked export is audited.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::records::ResidentView;
use crate::error::{Error, Result};
use crate::network::{Hierarchy, UnitId};
use crate::registry::View;

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// CSV, UTF-8 with a byte-order mark.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    /// Residents written.
    pub rows: usize,
    /// Whether personal data was masked.
    pub masked: bool,
}

const HEADERS: [&str; 11] = [
    "编号",
    "姓名",
    "性别",
    "民族",
    "公民身份号码",
    "出生日期",
    "联系电话",
    "所属社区",
    "人员类别",
    "流出地",
    "来苏时间",
];

fn cells(v: &View, r: &ResidentView, as_of: NaiveDate) -> [String; 11] {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let community = r
        .community
        .and_then(|u| v.network().name_at(u, as_of).map(str::to_owned))
        .unwrap_or_default();
    let arrived = r
        .residences
        .iter()
        .find(|x| Some(x.unit) == r.community)
        .map(|x| x.valid.from.to_string())
        .unwrap_or_default();
    [
        r.id.to_string(),
        r.name.clone(),
        r.sex.map(|s| s.name_zh().to_owned()).unwrap_or_default(),
        r.ethnicity_name.clone(),
        opt(&r.id_number),
        r.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        opt(&r.phone),
        community,
        r.category.name_zh().to_owned(),
        opt(&r.origin),
        arrived,
    ]
}

impl View {
    /// Writes the residents living in `under`'s subtree on `as_of` to `path`.
    pub fn export_residents(
        &self,
        under: UnitId,
        as_of: NaiveDate,
        path: &str,
        format: ExportFormat,
    ) -> Result<ExportReport> {
        let p = self.registry().principal();
        let reveal = p.role.sees_personal_data()
            && p.purpose.as_deref().is_some_and(|s| !s.trim().is_empty());
        let list = self.residents(under, as_of, &Hierarchy::Legal)?;
        let list: Vec<ResidentView> = if reveal {
            list.into_iter()
                .map(|r| self.resident_unmasked(r.id, as_of))
                .collect::<Result<_>>()?
        } else {
            list
        };
        let rows: Vec<[String; 11]> = list.iter().map(|r| cells(self, r, as_of)).collect();
        let io = |e: std::io::Error| Error::Io {
            path: path.to_owned(),
            source: e,
        };
        match format {
            ExportFormat::Csv => {
                let mut w = csv::Writer::from_path(path)
                    .map_err(|e| Error::invalid(path, e.to_string()))?;
                // A byte-order mark so that Excel opens UTF-8 correctly.
                w.write_field("\u{feff}编号")
                    .map_err(|e| Error::invalid(path, e.to_string()))?;
                w.write_record(&HEADERS[1..])
                    .map_err(|e| Error::invalid(path, e.to_string()))?;
                for r in &rows {
                    w.write_record(r)
                        .map_err(|e| Error::invalid(path, e.to_string()))?;
                }
                w.flush().map_err(io)?;
            }
            ExportFormat::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                let xl = |e: rust_xlsxwriter::XlsxError| Error::invalid(path, e.to_string());
                sheet.set_name("居民台账").map_err(xl)?;
                for (c, h) in HEADERS.iter().enumerate() {
                    sheet.write_string(0, c as u16, *h).map_err(xl)?;
                }
                for (i, r) in rows.iter().enumerate() {
                    for (c, cell) in r.iter().enumerate() {
                        // Everything as text: ID numbers must never become numbers.
                        sheet
                            .write_string(i as u32 + 1, c as u16, cell)
                            .map_err(xl)?;
                    }
                }
                book.save(path).map_err(xl)?;
            }
        }
        if reveal && !rows.is_empty() {
            self.registry().audit_read(
                "export_personal",
                &format!("{} residents under unit {under} on {as_of}", rows.len()),
            )?;
        }
        Ok(ExportReport {
            rows: rows.len(),
            masked: !reveal,
        })
    }
}
