//! One error type for the whole library, and the stable kinds every face maps from.
//!
//! Messages name the problem and where it is, never personal data: ID numbers appear
//! masked (`110105********002X`), names and phones never.

use std::fmt;

/// The broad class of an error. Its number is stable and shared by every face:
/// the C status code of a failed call is this number, and Python picks the
/// exception class from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(i32)]
pub enum ErrorKind {
    /// Input that is not valid (a code, a date, a JSON document, an argument).
    Validation = 1,
    /// Something named does not exist (on the given date).
    NotFound = 2,
    /// The principal may not do or see this.
    AccessDenied = 3,
    /// The database file or the file system failed.
    Storage = 4,
    /// The request contradicts what is recorded (overlapping intervals, ambiguous names).
    Conflict = 5,
    /// A bug in shiliu (including a caught panic).
    Internal = 6,
}

impl ErrorKind {
    /// Stable lower-case name of the kind (`validation`, `not_found`, …).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::Storage => "storage",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Why a citizen ID number (公民身份号码) was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdNumberProblem {
    /// Nothing was given.
    Empty,
    /// Neither 15 nor 18 characters after normalisation.
    Length(usize),
    /// A character that is not a digit (or X in the last place), at a 1-based position.
    Character(usize),
    /// The 8 (or 6) birth-date digits are not a calendar date.
    BirthDate,
    /// The birth date lies after "today".
    BirthDateInFuture,
    /// The check character is wrong.
    CheckCharacter {
        /// What the check character should be.
        expected: char,
        /// What was given.
        found: char,
    },
}

impl fmt::Display for IdNumberProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdNumberProblem::Empty => write!(f, "it is empty"),
            IdNumberProblem::Length(n) => write!(f, "it has {n} characters, not 15 or 18"),
            IdNumberProblem::Character(p) => write!(f, "character {p} is not allowed"),
            IdNumberProblem::BirthDate => write!(f, "the birth date is not a calendar date"),
            IdNumberProblem::BirthDateInFuture => write!(f, "the birth date is in the future"),
            IdNumberProblem::CheckCharacter { expected, found } => {
                write!(f, "check character is {found}, should be {expected}")
            }
        }
    }
}

/// Every failure shiliu reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An ethnicity (民族) notation that no rule recognises.
    #[error("unknown ethnicity {input:?}")]
    InvalidEthnicity {
        /// The notation as given (an ethnicity on its own is not personal data).
        input: String,
    },
    /// A citizen ID number that fails GB 11643-1999.
    #[error("invalid citizen ID number {masked}: {problem}")]
    InvalidIdNumber {
        /// The number masked to its first 6 and last 4 characters.
        masked: String,
        /// What is wrong.
        problem: IdNumberProblem,
    },
    /// A division code (行政区划代码 / 统计用区划代码) that is malformed.
    #[error("invalid division code {input:?}: {reason}")]
    InvalidDivisionCode {
        /// The code as given.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// A unified social credit code (统一社会信用代码) that fails GB 32100-2015.
    #[error("invalid unified social credit code {input:?}: {reason}")]
    InvalidCreditCode {
        /// The code as given (organisations' codes are public).
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// A date that could not be read.
    #[error("invalid date {input:?} for {field}")]
    InvalidDate {
        /// Which field.
        field: String,
        /// The text given.
        input: String,
    },
    /// An argument that is not acceptable (bad interval, unknown hierarchy, invalid UTF-8 …).
    #[error("invalid {what}: {reason}")]
    InvalidArgument {
        /// Which argument.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A JSON document that could not be read; the message gives line and column only.
    #[error("invalid JSON for {what}: {reason}")]
    InvalidJson {
        /// What the document was meant to be.
        what: String,
        /// Where and what kind of problem (no values are echoed).
        reason: String,
    },
    /// Rows of an import that were rejected, when the caller asked for all-or-nothing.
    #[error("{count} rows rejected in {source_name}, first at row {first_row}: {first_reason}")]
    RowsRejected {
        /// File or table name.
        source_name: String,
        /// How many rows.
        count: usize,
        /// Row number of the first one, as the file shows it.
        first_row: usize,
        /// Why the first one was rejected.
        first_reason: String,
    },
    /// A named thing does not exist (on the date asked about).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `unit 12`, `unit code 320502 on 2024-12-31`.
        what: String,
    },
    /// The principal may not do this.
    #[error("access denied for {principal}: {reason}")]
    AccessDenied {
        /// The principal's name.
        principal: String,
        /// Which action or unit was refused.
        reason: String,
    },
    /// The request contradicts the record (overlaps, ambiguities, cycles).
    #[error("conflict: {reason}")]
    Conflict {
        /// What contradicts what.
        reason: String,
    },
    /// SQLite failed.
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a shiliu database; it was not modified.
    #[error("{path} is not a shiliu database")]
    NotShiliuDatabase {
        /// The path.
        path: String,
    },
    /// The file was written by a newer shiliu; it was not modified.
    #[error("database schema version {found} is newer than this library supports ({supported})")]
    SchemaTooNew {
        /// The file's schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A bug: an invariant did not hold, or a panic was caught at a boundary.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The broad kind (shared by all faces).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidEthnicity { .. }
            | Error::InvalidIdNumber { .. }
            | Error::InvalidDivisionCode { .. }
            | Error::InvalidCreditCode { .. }
            | Error::InvalidDate { .. }
            | Error::InvalidArgument { .. }
            | Error::InvalidJson { .. }
            | Error::RowsRejected { .. } => ErrorKind::Validation,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::AccessDenied { .. } => ErrorKind::AccessDenied,
            Error::Conflict { .. } => ErrorKind::Conflict,
            Error::Storage(_)
            | Error::Io { .. }
            | Error::NotShiliuDatabase { .. }
            | Error::SchemaTooNew { .. } => ErrorKind::Storage,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The stable numeric code of this error: `kind × 1000 + n`. Listed in the README;
    /// never reused for another meaning.
    pub fn code(&self) -> u32 {
        match self {
            Error::InvalidEthnicity { .. } => 1001,
            Error::InvalidIdNumber { .. } => 1002,
            Error::InvalidDivisionCode { .. } => 1003,
            Error::InvalidCreditCode { .. } => 1004,
            Error::InvalidDate { .. } => 1005,
            Error::InvalidArgument { .. } => 1006,
            Error::InvalidJson { .. } => 1007,
            Error::RowsRejected { .. } => 1008,
            Error::NotFound { .. } => 2001,
            Error::AccessDenied { .. } => 3001,
            Error::Storage(_) => 4001,
            Error::Io { .. } => 4002,
            Error::NotShiliuDatabase { .. } => 4003,
            Error::SchemaTooNew { .. } => 4004,
            Error::Conflict { .. } => 5001,
            Error::Internal(_) => 6001,
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidArgument {
            what: what.into(),
            reason: reason.into(),
        }
    }

    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(what: impl Into<String>) -> Error {
        Error::NotFound { what: what.into() }
    }

    /// Shorthand for [`Error::Conflict`].
    pub fn conflict(reason: impl Into<String>) -> Error {
        Error::Conflict {
            reason: reason.into(),
        }
    }

    /// Wraps a serde_json error without echoing any value from the document.
    pub fn json(what: impl Into<String>, e: &serde_json::Error) -> Error {
        let class = match e.classify() {
            serde_json::error::Category::Io => "cannot read",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data => "unexpected content",
            serde_json::error::Category::Eof => "unexpected end",
        };
        // serde_json's own message for data errors may quote values; keep only the
        // field-level part before the first quote.
        let detail = e.to_string();
        let detail = detail
            .split(['"', '`'])
            .next()
            .unwrap_or_default()
            .trim_end_matches([' ', ':'])
            .to_owned();
        Error::InvalidJson {
            what: what.into(),
            reason: format!(
                "{class} at line {} column {} ({detail})",
                e.line(),
                e.column()
            ),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A warning: something was accepted but deserves a look. Warnings are data on the
/// result — shiliu never prints them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Warning {
    /// Stable machine-readable code, e.g. `ethnicity.legacy_name`.
    pub code: String,
    /// Human-readable English message (no personal data).
    pub message: String,
}

impl Warning {
    /// Makes a warning.
    pub fn new(code: &str, message: impl Into<String>) -> Warning {
        Warning {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// A parsed value together with the warnings its parsing raised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Parsed<T> {
    /// The value.
    pub value: T,
    /// Warnings, empty when the input was clean.
    pub warnings: Vec<Warning>,
}

impl<T> Parsed<T> {
    /// A value without warnings.
    pub fn clean(value: T) -> Parsed<T> {
        Parsed {
            value,
            warnings: Vec::new(),
        }
    }
}

/// Fields whose values are dates: a bad value there is an [`Error::InvalidDate`].
const DATE_FIELDS: &[&str] = &[
    "as_of",
    "date",
    "valid_from",
    "valid_to",
    "from",
    "to",
    "today",
];

/// Reads a JSON document into `T`. Syntax errors give line and column; content errors give
/// the path of the field (`args.as_of`), and a bad date is an [`Error::InvalidDate`]
/// naming its field. No other value is echoed.
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::json(what, &e))?;
    from_json_value(what, value)
}

/// Like [`from_json`], for an already parsed document.
pub fn from_json_value<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> Result<T> {
    serde_path_to_error::deserialize::<_, T>(&value).map_err(|e| {
        let path = e.path().to_string();
        let mut at = Some(&value);
        for seg in e.path().iter() {
            at = at.and_then(|v| match seg {
                serde_path_to_error::Segment::Map { key } => v.get(key.as_str()),
                serde_path_to_error::Segment::Enum { variant } => v.get(variant.as_str()),
                serde_path_to_error::Segment::Seq { index } => v.get(*index),
                _ => None,
            });
        }
        let last = path.rsplit('.').next().unwrap_or_default();
        match at.and_then(serde_json::Value::as_str) {
            Some(s) if DATE_FIELDS.contains(&last) => Error::InvalidDate {
                field: path.clone(),
                input: s.to_owned(),
            },
            _ => {
                let inner = Error::json(what, e.inner());
                let reason = match inner {
                    Error::InvalidJson { reason, .. } => reason,
                    other => other.to_string(),
                };
                // Positions are meaningless for an in-memory value; the path says where.
                let reason = reason
                    .split(" at line")
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let full = e.inner().to_string();
                // Field and variant names are vocabulary, safe to show; any other detail
                // is cut before the first quoted value so that no input is echoed.
                let names_only = ["missing field", "unknown field", "unknown variant"]
                    .iter()
                    .any(|p| full.starts_with(p));
                let detail = if names_only {
                    full.split(" at line").next().unwrap_or_default()
                } else {
                    full.split(['"', '`'])
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches([' ', ':'])
                };
                Error::InvalidJson {
                    what: what.to_owned(),
                    reason: format!("{reason} at {path} ({detail})"),
                }
            }
        }
    })
}
