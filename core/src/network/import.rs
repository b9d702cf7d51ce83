//! Importing units from CSV (the layout of `gen_population.py`'s units.csv).
use serde::{Deserialize, Serialize};
use crate::error::Warning;
use super::TxId;

/// Options of a unit import.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct UnitImportOptions {
    /// Path of units.csv.
    pub path: String,
}

/// A rejected row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// Row number.
    pub row: usize,
}

/// Import result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ImportReport {
    /// Transaction.
    pub transaction: Option<TxId>,
    /// Warnings.
    pub warnings: Vec<Warning>,
}

impl crate::Registry {
    /// Imports units.
    pub fn import_units(&self, _o: &UnitImportOptions) -> crate::Result<ImportReport> {
        Ok(ImportReport::default())
    }
}
