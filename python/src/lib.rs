//! `shiliu._native`: the Python face's native module. Thin: it converts types, maps
//! errors to the exception tree in one place, and releases the GIL around every call
//! into the core. The typed, documented API lives in the pure-Python package `shiliu`.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyDict, PyList, PyTuple, PyType};
use shiliu::codes::{
    CreditCode, DivisionCode, Ethnicity as CoreEthnicity, IdNumber as CoreIdNumber,
};
use shiliu::register::{ImportProgress, ResidentImportOptions};
use shiliu::rules::{RuleSet, Scheme};
use shiliu::stats::{CellStatus, PopulationQuery, Table, TrendQuery, UnitInfo, TOTAL};
use shiliu::{Error, ErrorKind, OpenOptions, Registry as CoreRegistry};

/// The exception classes, created once at import.
struct Exceptions {
    validation: Py<PyType>,
    invalid_id_number: Py<PyType>,
    invalid_ethnicity: Py<PyType>,
    not_found: Py<PyType>,
    access_denied: Py<PyType>,
    storage: Py<PyType>,
    conflict: Py<PyType>,
    internal: Py<PyType>,
}

static EXCEPTIONS: OnceLock<Exceptions> = OnceLock::new();

/// Builds the exception tree with the builtin `type()`, so that classes can subclass both
/// `ShiliuError` and the builtin they mean (`ValueError`, `LookupError`, `PermissionError`).
fn build_exceptions(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    let builtins = py.import("builtins")?;
    let type_fn = builtins.getattr("type")?;
    let make = |name: &str, bases: Vec<Bound<'_, PyAny>>, doc: &str| -> PyResult<Py<PyType>> {
        let ns = PyDict::new(py);
        ns.set_item("__module__", "shiliu")?;
        ns.set_item("__doc__", doc)?;
        let cls = type_fn.call1((name, PyTuple::new(py, bases)?, ns))?;
        m.add(name, &cls)?;
        Ok(cls.cast_into::<PyType>()?.unbind())
    };
    let b = |name: &str| builtins.getattr(name);
    let base = make(
        "ShiliuError",
        vec![b("Exception")?],
        "Base of every shiliu error; carries .code (stable number) and .kind.",
    )?;
    let base_b = base.bind(py).clone().into_any();
    let validation = make(
        "ValidationError",
        vec![base_b.clone(), b("ValueError")?],
        "Input that is not valid.",
    )?;
    let val_b = validation.bind(py).clone().into_any();
    let ex = Exceptions {
        invalid_id_number: make(
            "InvalidIdNumber",
            vec![val_b.clone()],
            "A citizen ID number that fails GB 11643-1999.",
        )?,
        invalid_ethnicity: make(
            "InvalidEthnicity",
            vec![val_b],
            "An ethnicity notation nobody recognises.",
        )?,
        not_found: make(
            "NotFoundError",
            vec![base_b.clone(), b("LookupError")?],
            "Something named does not exist (on the date).",
        )?,
        access_denied: make(
            "AccessDenied",
            vec![base_b.clone(), b("PermissionError")?],
            "The principal may not do or see this.",
        )?,
        storage: make(
            "StorageError",
            vec![base_b.clone()],
            "The database file or the file system failed.",
        )?,
        conflict: make(
            "ConflictError",
            vec![base_b.clone()],
            "The request contradicts the record.",
        )?,
        internal: make("InternalError", vec![base_b], "A bug in shiliu.")?,
        validation,
    };
    let _ = EXCEPTIONS.set(ex);
    Ok(())
}

/// The one place errors become Python exceptions.
fn to_py(e: Error) -> PyErr {
    Python::attach(|py| {
        let Some(ex) = EXCEPTIONS.get() else {
            return pyo3::exceptions::PyRuntimeError::new_err(e.to_string());
        };
        let cls = match (e.code(), e.kind()) {
            (1002, _) => &ex.invalid_id_number,
            (1001, _) => &ex.invalid_ethnicity,
            (_, ErrorKind::Validation) => &ex.validation,
            (_, ErrorKind::NotFound) => &ex.not_found,
            (_, ErrorKind::AccessDenied) => &ex.access_denied,
            (_, ErrorKind::Storage) => &ex.storage,
            (_, ErrorKind::Conflict) => &ex.conflict,
            (_, ErrorKind::Internal) => &ex.internal,
        };
        let build = || -> PyResult<PyErr> {
            let inst = cls.bind(py).call1((e.to_string(),))?;
            inst.setattr("code", e.code())?;
            inst.setattr("kind", e.kind().name())?;
            Ok(PyErr::from_value(inst))
        };
        build().unwrap_or_else(|err| err)
    })
}

/// Runs `f` with the GIL released and maps its error.
fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> shiliu::Result<T> + Send) -> PyResult<T> {
    py.detach(f).map_err(to_py)
}

/// A warning raised while parsing or importing (data, never a Python `Warning`).
#[pyclass(frozen, module = "shiliu._native", name = "Warning", eq)]
#[derive(Clone, PartialEq)]
struct PyWarning {
    /// Stable code, e.g. `ethnicity.legacy_name`.
    #[pyo3(get)]
    code: String,
    /// English message.
    #[pyo3(get)]
    message: String,
}

#[pymethods]
impl PyWarning {
    fn __repr__(&self) -> String {
        format!("Warning(code={:?}, message={:?})", self.code, self.message)
    }
}

fn warnings(w: &[shiliu::Warning]) -> Vec<PyWarning> {
    w.iter()
        .map(|w| PyWarning {
            code: w.code.clone(),
            message: w.message.clone(),
        })
        .collect()
}

/// An ethnic group of GB/T 3304-1991 (or a practice code 97/98).
#[pyclass(frozen, module = "shiliu._native", name = "Ethnicity", eq, hash)]
#[derive(Clone, PartialEq, Eq, Hash)]
struct PyEthnicity {
    #[pyo3(get)]
    code: String,
    #[pyo3(get)]
    name: String,
    #[pyo3(get)]
    roman: String,
    #[pyo3(get)]
    alpha2: String,
    #[pyo3(get)]
    is_minority: bool,
    #[pyo3(get)]
    is_standard: bool,
    warnings: Vec<(String, String)>,
}

#[pymethods]
impl PyEthnicity {
    /// Warnings raised while parsing (legacy name, practice code).
    #[getter]
    fn warnings(&self) -> Vec<PyWarning> {
        self.warnings
            .iter()
            .map(|(c, m)| PyWarning {
                code: c.clone(),
                message: m.clone(),
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        format!("Ethnicity(code={:?}, name={:?})", self.code, self.name)
    }
}

fn ethnicity_obj(e: CoreEthnicity, w: &[shiliu::Warning]) -> PyEthnicity {
    PyEthnicity {
        code: e.code().to_owned(),
        name: e.name().to_owned(),
        roman: e.roman().to_owned(),
        alpha2: e.alpha2().to_owned(),
        is_minority: e.is_minority(),
        is_standard: e.is_standard(),
        warnings: w
            .iter()
            .map(|w| (w.code.clone(), w.message.clone()))
            .collect(),
    }
}

/// Parses an ethnicity in any ledger notation.
#[pyfunction]
fn ethnicity(value: &str) -> PyResult<PyEthnicity> {
    let p = CoreEthnicity::parse(value).map_err(to_py)?;
    Ok(ethnicity_obj(p.value, &p.warnings))
}

/// The 56 standard groups in code order.
#[pyfunction]
fn ethnicities() -> Vec<PyEthnicity> {
    CoreEthnicity::standard()
        .map(|e| ethnicity_obj(e, &[]))
        .collect()
}

/// A validated citizen ID number.
#[pyclass(frozen, module = "shiliu._native", name = "IdNumber")]
struct PyIdNumber {
    #[pyo3(get)]
    number: String,
    #[pyo3(get)]
    region: String,
    #[pyo3(get)]
    birth_date: NaiveDate,
    #[pyo3(get)]
    sex: String,
    #[pyo3(get)]
    upgraded: bool,
    #[pyo3(get)]
    masked: String,
    #[pyo3(get)]
    warnings: Vec<PyWarning>,
}

#[pymethods]
impl PyIdNumber {
    fn __repr__(&self) -> String {
        // Never show the full number.
        format!("IdNumber({:?})", self.masked)
    }
}

/// Parses a citizen ID number; `today` bounds the birth date (default: the system date).
#[pyfunction]
#[pyo3(signature = (value, today=None))]
fn parse_id_number(py: Python<'_>, value: &str, today: Option<NaiveDate>) -> PyResult<PyIdNumber> {
    let value = value.to_owned();
    let p = detached(py, move || {
        CoreIdNumber::parse(
            &value,
            today.unwrap_or_else(|| shiliu::Clock::System.today()),
        )
    })?;
    let v = &p.value;
    Ok(PyIdNumber {
        number: v.as_str().to_owned(),
        region: v.region().to_owned(),
        birth_date: v.birth_date(),
        sex: match v.sex() {
            shiliu::codes::Sex::Male => "male".into(),
            shiliu::codes::Sex::Female => "female".into(),
        },
        upgraded: v.upgraded(),
        masked: v.masked(),
        warnings: warnings(&p.warnings),
    })
}

/// (code, level, level_zh, parent, warnings) of a parsed division code.
type DivisionParts = (String, String, String, Option<String>, Vec<PyWarning>);

/// Parses a division code; returns (code, level, level_zh, parent, warnings).
#[pyfunction]
fn parse_division_code(value: &str) -> PyResult<DivisionParts> {
    let p = DivisionCode::parse(value).map_err(to_py)?;
    let v = &p.value;
    let level = serde_json::to_value(v.level())
        .ok()
        .and_then(|x| x.as_str().map(str::to_owned))
        .unwrap_or_default();
    Ok((
        v.as_str().to_owned(),
        level,
        v.level().name_zh().to_owned(),
        v.parent().map(|c| c.as_str().to_owned()),
        warnings(&p.warnings),
    ))
}

/// Parses a unified social credit code; returns (code, check_ok, warnings).
#[pyfunction]
#[pyo3(signature = (value, allow=None))]
fn parse_credit_code(
    value: &str,
    allow: Option<Vec<String>>,
) -> PyResult<(String, bool, Vec<PyWarning>)> {
    let allow = allow.unwrap_or_default();
    let allow: Vec<&str> = allow.iter().map(String::as_str).collect();
    let p = CreditCode::parse(value, &allow).map_err(to_py)?;
    Ok((
        p.value.as_str().to_owned(),
        p.value.check_ok(),
        warnings(&p.warnings),
    ))
}

/// A registry handle. Thread-safe: use one from many threads at once.
#[pyclass(frozen, module = "shiliu._native", name = "Registry")]
struct PyRegistry {
    inner: RwLock<Option<CoreRegistry>>,
    /// The unit categories of the last tables answered (see [`UnitCategories`]).
    categories: UnitCache,
}

/// The units of a table and the tuples of distinct values of their attributes, kept so
/// that a later table on the same units (the next date of a series, another key) hands
/// Python the very same tuples — whose pandas dtypes it keeps — instead of new strings.
type UnitCategories = (Vec<UnitInfo>, Vec<Py<PyTuple>>);

/// The unit categories of the last [`UNIT_CACHE_SIZE`] distinct unit lists, newest first.
type UnitCache = Mutex<Vec<UnitCategories>>;

/// How many unit lists a registry handle keeps the categories of (a few geographies or
/// levels asked in turn).
const UNIT_CACHE_SIZE: usize = 4;

thread_local! {
    /// Whether this thread is running an import's progress callback. The import holds
    /// the registry's write lock meanwhile, so a call back into a registry (a write, or
    /// an audited read) from the callback would wait for itself forever: it is refused.
    static IN_PROGRESS_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread as inside a progress callback until dropped (also on unwinding).
struct CallbackGuard;

impl CallbackGuard {
    fn enter() -> CallbackGuard {
        IN_PROGRESS_CALLBACK.with(|c| c.set(true));
        CallbackGuard
    }
}

impl Drop for CallbackGuard {
    fn drop(&mut self) {
        IN_PROGRESS_CALLBACK.with(|c| c.set(false));
    }
}

impl PyRegistry {
    fn get(&self) -> shiliu::Result<CoreRegistry> {
        if IN_PROGRESS_CALLBACK.with(Cell::get) {
            return Err(Error::invalid(
                "registry",
                "it cannot be used from inside an import's progress callback (the import holds the write lock)",
            ));
        }
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| Error::invalid("registry", "it is closed"))
    }
}

fn options(json: Option<&str>) -> shiliu::Result<OpenOptions> {
    json.map_or(Ok(OpenOptions::default()), OpenOptions::from_json)
}

#[pymethods]
impl PyRegistry {
    /// Opens (creating if needed) a registry file; `options` is the JSON of open options.
    #[staticmethod]
    #[pyo3(signature = (path, options=None))]
    fn open(
        py: Python<'_>,
        path: std::path::PathBuf,
        options: Option<&str>,
    ) -> PyResult<PyRegistry> {
        let opts = options_arg(options)?;
        let reg = detached(py, move || CoreRegistry::open(&path, opts))?;
        Ok(PyRegistry {
            inner: RwLock::new(Some(reg)),
            categories: Mutex::new(Vec::new()),
        })
    }

    /// Opens a private in-memory registry.
    #[staticmethod]
    #[pyo3(signature = (options=None))]
    fn in_memory(py: Python<'_>, options: Option<&str>) -> PyResult<PyRegistry> {
        let opts = options_arg(options)?;
        let reg = detached(py, move || CoreRegistry::open_in_memory(opts))?;
        Ok(PyRegistry {
            inner: RwLock::new(Some(reg)),
            categories: Mutex::new(Vec::new()),
        })
    }

    /// Answers one JSON request (`{"op": ..., "args": {...}}`) with a JSON response.
    fn execute(&self, py: Python<'_>, request: &str) -> PyResult<String> {
        let reg = self.get().map_err(to_py)?;
        let request = request.to_owned();
        detached(py, move || reg.execute_json(&request))
    }

    /// Imports a residents' ledger; `options` is the JSON of the import options (the
    /// `import_residents` request's args). `progress(done, total)` is called every few
    /// thousand rows and at the end, with the GIL re-acquired for the call; an exception
    /// it raises cancels the import (nothing is written) and is raised here. The callback
    /// may not call into a registry (refused: the import holds the write lock). Returns
    /// the JSON of the report.
    #[pyo3(signature = (options, progress=None))]
    fn import_residents(
        &self,
        py: Python<'_>,
        options: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let reg = self.get().map_err(to_py)?;
        let opts: ResidentImportOptions =
            shiliu::error::from_json("import_residents", options).map_err(to_py)?;
        // The first exception the callback raised; the core is told to cancel.
        let mut failure: Option<PyErr> = None;
        let report = py.detach(|| match &progress {
            None => reg.import_residents(&opts, None),
            Some(callback) => {
                let mut call = |p: ImportProgress| -> bool {
                    if failure.is_some() {
                        return false;
                    }
                    Python::attach(|py| {
                        let _inside = CallbackGuard::enter();
                        match callback.call1(py, (p.done, p.total)) {
                            Ok(_) => true,
                            Err(e) => {
                                failure = Some(e);
                                false
                            }
                        }
                    })
                };
                reg.import_residents(&opts, Some(&mut call))
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let report = report.map_err(to_py)?;
        serde_json::to_string(&report)
            .map_err(|e| to_py(Error::Internal(format!("cannot encode the report: {e}"))))
    }

    /// Answers a table request (`population` or `population_trend`; `args` is the JSON
    /// of the request's args) as columns (layout: [`Prepared`]); the query runs without the
    /// GIL, the columns are written with it (one pass over the rows). With
    /// `transaction`, answers as the registry did when it was the newest.
    #[pyo3(signature = (op, args, transaction=None))]
    fn table<'py>(
        &self,
        py: Python<'py>,
        op: &str,
        args: &str,
        transaction: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let reg = self.get().map_err(to_py)?;
        let (op, args) = (op.to_owned(), args.to_owned());
        let prepared = detached(py, move || {
            let view = match transaction {
                Some(tx) => reg.view_at(tx)?,
                None => reg.view()?,
            };
            let table = match op.as_str() {
                "population" => {
                    let q: PopulationQuery = shiliu::error::from_json("population", &args)?;
                    view.population(&q)?
                }
                "population_trend" => {
                    let q: TrendQuery = shiliu::error::from_json("population_trend", &args)?;
                    view.population_trend(&q)?
                }
                other => {
                    return Err(Error::invalid(
                        "table",
                        format!("unknown op {other:?}; expected population or population_trend"),
                    ))
                }
            };
            Ok(Prepared::of(table))
        })?;
        prepared.into_dict(py, Some(&self.categories))
    }

    /// The newest recorded transaction (0 for an empty registry).
    fn transaction(&self, py: Python<'_>) -> PyResult<i64> {
        let reg = self.get().map_err(to_py)?;
        detached(py, move || Ok(reg.view()?.transaction()))
    }

    /// Closes the handle (idempotent). Queries still running finish first.
    fn close(&self) {
        let taken = self
            .inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(taken);
        let cached = std::mem::take(
            &mut *self
                .categories
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        drop(cached);
    }

    /// Whether the handle is closed.
    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }
}

/// Reads a cube file (see `shiliu::stats::cube`), applies disclosure control with
/// minimum cell size `k` and answers the table as columns (layout: [`Prepared`]).
#[pyfunction]
#[pyo3(signature = (path, k, publish_zeros=true))]
fn protect_cube<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    k: u32,
    publish_zeros: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let prepared = detached(py, move || {
        let path = path
            .to_str()
            .ok_or_else(|| Error::invalid("protect_cube", "the path is not valid UTF-8"))?
            .to_owned();
        Ok(Prepared::of(shiliu::stats::protect_cube(
            &path,
            k,
            publish_zeros,
        )?))
    })?;
    prepared.into_dict(py, None)
}

/// A result table with what its columns need besides it (the categoricals of unit
/// attributes), made without the GIL.
///
/// [`Prepared::into_dict`] writes it into the dictionary handed to Python, each row
/// column straight into a `bytearray` (one pass, no intermediate copy) so that Python
/// builds a data frame from buffers, never from one object per row:
/// * header: `transaction`, `hierarchy`, `geography` (date or None), `periods` (dates;
///   None for a date Python cannot hold; empty for a cube, which has no date), `k`,
///   `share_unit`, `notes`, `rows` (the row count), `trend` (whether flows are
///   present), `dimensions` (the key labels), `statuses` and `statuses_zh` (status
///   labels in code order);
/// * `period`: i64 seconds since 1970-01-01 (numpy `datetime64[s]`; i64::MIN = NaT,
///   a cube's rows);
/// * `unit`, `depth`: i64;
/// * `code`, `name`, `level`, `level_zh`, `path`: (tuple of distinct values, numpy
///   dtype, index per row, -1 for none) — a categorical; the index is i8, i16 or i32,
///   the narrowest pandas would pick, so its buffer becomes the codes as it is; a
///   registry answering tables on the same units again hands out the same tuples;
/// * `keys`: per dimension (codes, names + `合计`, (dtype, code index per row with -1 on a
///   total row), (dtype, name index per row pointing at `合计` on a total row));
/// * `headcount`, `components`, `population` and, for trends, `arrivals`,
///   `departures`, `growth`: (i64 values with 0 where missing, u8 mask with 1 where
///   missing);
/// * `migrant_share`, `share`: f64 with NaN where missing;
/// * `status`: u8 index into `statuses`; `split`: u8 0/1.
///
/// All little-endian.
struct Prepared {
    table: Table,
    /// Per unit attribute: the first unit holding each distinct value, and each unit's
    /// value index (-1: none).
    factors: Vec<(Vec<usize>, Vec<i32>)>,
}

/// The order of `CellStatus` values in the `status` column.
const STATUSES: [CellStatus; 3] = [
    CellStatus::Published,
    CellStatus::Primary,
    CellStatus::Secondary,
];

/// The name of a total row in the `<key>_name` columns.
const TOTAL_NAME: &str = "合计";

/// The unit attributes answered as categoricals, in order.
const UNIT_COLUMNS: [&str; 5] = ["code", "name", "level", "level_zh", "path"];

fn unit_attribute<'a>(u: &'a UnitInfo, name: &str) -> Option<&'a str> {
    match name {
        "code" => u.code.as_deref(),
        "name" => Some(&u.name),
        "level" => Some(&u.level),
        "level_zh" => Some(&u.level_zh),
        _ => Some(&u.path),
    }
}

/// A `bytearray` of `n` values of `N` bytes each, written in place from `values`.
fn column<const N: usize>(
    py: Python<'_>,
    n: usize,
    values: impl Iterator<Item = [u8; N]>,
) -> PyResult<Bound<'_, PyByteArray>> {
    PyByteArray::new_with(py, n * N, |buf| {
        for (chunk, v) in buf.chunks_exact_mut(N).zip(values) {
            chunk.copy_from_slice(&v);
        }
        Ok(())
    })
}

/// Category indices (-1 for none) in the narrowest integer numpy would pick for
/// `categories` values (so that pandas keeps the buffer as its codes, uncopied): the
/// numpy dtype (`i1`, `<i2` or `<i4`) and the column.
fn codes<'py>(
    py: Python<'py>,
    n: usize,
    categories: usize,
    index: impl Iterator<Item = i32>,
) -> PyResult<(&'static str, Bound<'py, PyByteArray>)> {
    // Narrowing casts below are exact: every index is below `categories`.
    Ok(if categories < i8::MAX as usize {
        ("i1", column(py, n, index.map(|i| (i as i8).to_le_bytes()))?)
    } else if categories < i16::MAX as usize {
        (
            "<i2",
            column(py, n, index.map(|i| (i as i16).to_le_bytes()))?,
        )
    } else {
        ("<i4", column(py, n, index.map(i32::to_le_bytes))?)
    })
}

/// A nullable column of `n` rows as (i64 values, u8 missing mask); a column shorter
/// than the table is missing on the rows it lacks.
fn nullable<'py, T: Copy>(
    py: Python<'py>,
    col: &[Option<T>],
    n: usize,
    as_i64: impl Fn(T) -> i64,
) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
    let get = |i: usize| col.get(i).copied().flatten();
    Ok((
        column(
            py,
            n,
            (0..n).map(|i| get(i).map_or(0, &as_i64).to_le_bytes()),
        )?,
        column(py, n, (0..n).map(|i| [u8::from(get(i).is_none())]))?,
    ))
}

/// u64 counts as i64 (saturating: no count comes near 2^63).
fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// f64 values with NaN where missing.
fn floats<'py>(
    py: Python<'py>,
    col: &[Option<f64>],
    n: usize,
) -> PyResult<Bound<'py, PyByteArray>> {
    let get = |i: usize| col.get(i).copied().flatten();
    column(
        py,
        n,
        (0..n).map(|i| get(i).unwrap_or(f64::NAN).to_le_bytes()),
    )
}

/// `d` if Python's `datetime.date` can hold it (years 1 to 9999).
fn python_date(d: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    (1..=9999).contains(&d.year()).then_some(d)
}

/// Seconds since 1970-01-01 of `d` (i64::MIN, numpy's NaT, outside Python's range).
fn epoch_seconds(d: NaiveDate) -> i64 {
    python_date(d).map_or(i64::MIN, |d| {
        d.signed_duration_since(NaiveDate::default()).num_seconds()
    })
}

/// A unit attribute's distinct values (first holders) and each unit's value index.
fn factor(units: &[UnitInfo], name: &str) -> (Vec<usize>, Vec<i32>) {
    let mut seen: HashMap<&str, i32> = HashMap::with_capacity(units.len());
    let mut first = Vec::new();
    let per_unit = units
        .iter()
        .enumerate()
        .map(|(i, u)| match unit_attribute(u, name) {
            None => -1,
            Some(v) => *seen.entry(v).or_insert_with(|| {
                first.push(i);
                i32::try_from(first.len() - 1).unwrap_or(i32::MAX)
            }),
        })
        .collect();
    (first, per_unit)
}

impl Prepared {
    fn of(table: Table) -> Prepared {
        let factors = UNIT_COLUMNS
            .iter()
            .map(|c| factor(&table.units, c))
            .collect();
        Prepared { table, factors }
    }

    /// The tuples of distinct unit attribute values: cached ones when the table's units
    /// are those of one of the last tables (`cache`), else new ones (then cached). The
    /// lock is never held while Python objects are made or freed (that may run Python
    /// code).
    fn unit_categories<'py>(
        &self,
        py: Python<'py>,
        cache: Option<&UnitCache>,
    ) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let units = &self.table.units;
        let lookup = |m: &UnitCache| {
            let mut g = m.lock().unwrap_or_else(PoisonError::into_inner);
            let i = g.iter().position(|(cached, _)| cached == units)?;
            let entry = g.remove(i);
            let hit: Vec<_> = entry.1.iter().map(|t| t.clone_ref(py)).collect();
            g.insert(0, entry);
            Some(hit)
        };
        if let Some(hit) = cache.and_then(lookup) {
            return Ok(hit.into_iter().map(|t| t.into_bound(py)).collect());
        }
        let tuples = UNIT_COLUMNS
            .iter()
            .zip(&self.factors)
            .map(|(name, (first, _))| {
                PyTuple::new(py, first.iter().map(|u| unit_attribute(&units[*u], name)))
            })
            .collect::<PyResult<Vec<_>>>()?;
        if let Some(m) = cache {
            let kept = tuples.iter().map(|t| t.clone().unbind()).collect();
            let evicted = {
                let mut g = m.lock().unwrap_or_else(PoisonError::into_inner);
                g.insert(0, (units.clone(), kept));
                let keep = g.len().min(UNIT_CACHE_SIZE);
                g.split_off(keep)
            };
            drop(evicted);
        }
        Ok(tuples)
    }

    fn into_dict<'py>(
        self,
        py: Python<'py>,
        cache: Option<&UnitCache>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let categories = self.unit_categories(py, cache)?;
        let t = &self.table;
        let n = t.len();
        let label = |v: serde_json::Result<serde_json::Value>| {
            v.ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let d = PyDict::new(py);
        d.set_item("transaction", t.transaction)?;
        d.set_item("hierarchy", label(serde_json::to_value(t.hierarchy)))?;
        d.set_item("geography", t.geography.and_then(python_date))?;
        d.set_item(
            "periods",
            t.periods
                .iter()
                .map(|p| python_date(*p))
                .collect::<Vec<_>>(),
        )?;
        d.set_item("k", t.k)?;
        d.set_item("share_unit", label(serde_json::to_value(t.share_unit)))?;
        d.set_item("notes", &t.notes)?;
        d.set_item("rows", n)?;
        d.set_item("trend", !t.arrivals.is_empty())?;
        d.set_item(
            "dimensions",
            t.dimensions
                .iter()
                .map(|x| x.dimension.label())
                .collect::<Vec<_>>(),
        )?;
        d.set_item("statuses", STATUSES.map(CellStatus::label))?;
        d.set_item("statuses_zh", STATUSES.map(CellStatus::name_zh))?;
        let seconds: Vec<i64> = t.periods.iter().map(|p| epoch_seconds(*p)).collect();
        // A cube has no period end: its rows' period is NaT.
        let period = t.period.iter().map(|p| {
            seconds
                .get(*p as usize)
                .copied()
                .unwrap_or(i64::MIN)
                .to_le_bytes()
        });
        d.set_item("period", column(py, n, period)?)?;
        let units = &t.units;
        let ids = t.unit.iter().map(|u| units[*u as usize].id.to_le_bytes());
        d.set_item("unit", column(py, n, ids)?)?;
        let depth = t
            .unit
            .iter()
            .map(|u| i64::from(units[*u as usize].depth).to_le_bytes());
        d.set_item("depth", column(py, n, depth)?)?;
        for ((name, (first, per_unit)), values) in
            UNIT_COLUMNS.iter().zip(&self.factors).zip(categories)
        {
            let index = t.unit.iter().map(|u| per_unit[*u as usize]);
            let (dtype, index) = codes(py, n, first.len(), index)?;
            d.set_item(*name, (values, dtype, index))?;
        }
        let keys = PyList::empty(py);
        for (dv, col) in t.dimensions.iter().zip(&t.keys) {
            let total = i32::try_from(dv.names.len()).unwrap_or(i32::MAX);
            let index = |k: u32| (k != TOTAL).then(|| i32::try_from(k).unwrap_or(i32::MAX));
            let names = PyList::new(
                py,
                dv.names
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::once(TOTAL_NAME)),
            )?;
            let code_index = col.iter().map(|k| index(*k).unwrap_or(-1));
            let name_index = col.iter().map(|k| index(*k).unwrap_or(total));
            let (code_type, code_index) = codes(py, n, dv.codes.len(), code_index)?;
            let (name_type, name_index) = codes(py, n, dv.names.len() + 1, name_index)?;
            keys.append((
                &dv.codes,
                names,
                (code_type, code_index),
                (name_type, name_index),
            ))?;
        }
        d.set_item("keys", keys)?;
        d.set_item("headcount", nullable(py, &t.headcount, n, count)?)?;
        d.set_item("components", nullable(py, &t.components, n, i64::from)?)?;
        d.set_item("migrant_share", floats(py, &t.migrant_share, n)?)?;
        d.set_item("population", nullable(py, &t.population, n, count)?)?;
        d.set_item("share", floats(py, &t.share, n)?)?;
        if !t.arrivals.is_empty() {
            d.set_item("arrivals", nullable(py, &t.arrivals, n, count)?)?;
            d.set_item("departures", nullable(py, &t.departures, n, count)?)?;
            d.set_item("growth", nullable(py, &t.growth, n, |g| g)?)?;
        }
        let status = t
            .status
            .iter()
            .map(|s| [STATUSES.iter().position(|x| x == s).unwrap_or(0) as u8]);
        d.set_item("status", column(py, n, status)?)?;
        d.set_item(
            "split",
            column(py, n, t.split.iter().map(|s| [u8::from(*s)]))?,
        )?;
        Ok(d)
    }
}

/// The summary of a rule set the faces show (the `check_rules` answer) with the text it
/// was read from: `{id, version, name, hash, canonical, text, rules: [{id, kind, title,
/// title_en}]}` as JSON.
fn rules_summary(set: &RuleSet) -> String {
    let mut v = set.summary();
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "text".into(),
            serde_json::Value::String(set.source().to_owned()),
        );
    }
    v.to_string()
}

/// An assessment scheme as JSON (its fields, as the core reads them) with its text.
fn scheme_summary(scheme: &Scheme, text: &str) -> shiliu::Result<String> {
    let mut v = serde_json::to_value(scheme)
        .map_err(|e| Error::Internal(format!("cannot encode the scheme: {e}")))?;
    if let Some(m) = v.as_object_mut() {
        m.insert("text".into(), serde_json::Value::String(text.to_owned()));
    }
    Ok(v.to_string())
}

/// The text of a built-in preset: the rule set `suzhou` or the assessment scheme
/// `model_community` (TOML, to copy and edit).
#[pyfunction]
fn preset_text(name: &str) -> PyResult<String> {
    shiliu::rules::preset_text(name)
        .map(str::to_owned)
        .map_err(to_py)
}

/// Reads and checks a rule set from TOML or JSON text; returns the JSON of its summary
/// (`id`, `version`, `name`, `hash`, `canonical`, `text`, `rules`).
#[pyfunction]
fn check_rules(py: Python<'_>, text: &str) -> PyResult<String> {
    let text = text.to_owned();
    detached(py, move || Ok(rules_summary(&RuleSet::from_text(&text)?)))
}

/// Reads and checks a rule set file (a `calendar_file` it names is read relative to
/// it); returns the JSON of its summary, as `check_rules`.
#[pyfunction]
fn check_rules_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<String> {
    detached(py, move || Ok(rules_summary(&RuleSet::from_file(&path)?)))
}

/// A built-in rule set with `overrides` (`("R6.within_days", "5")` pairs; values read
/// as JSON, else as text); returns the JSON of its summary, as `check_rules`.
#[pyfunction]
#[pyo3(signature = (name, overrides=None))]
fn check_rules_preset(
    py: Python<'_>,
    name: &str,
    overrides: Option<Vec<(String, String)>>,
) -> PyResult<String> {
    let name = name.to_owned();
    let overrides = overrides.unwrap_or_default();
    detached(py, move || {
        Ok(rules_summary(&RuleSet::preset(&name, &overrides)?))
    })
}

/// Reads and checks an assessment scheme from TOML or JSON text; returns its JSON
/// (the scheme's fields and `text`).
#[pyfunction]
fn check_scheme(py: Python<'_>, text: &str) -> PyResult<String> {
    let text = text.to_owned();
    detached(py, move || {
        scheme_summary(&Scheme::from_text(&text)?, &text)
    })
}

/// Reads and checks an assessment scheme file; returns its JSON, as `check_scheme`.
#[pyfunction]
fn check_scheme_file(py: Python<'_>, path: std::path::PathBuf) -> PyResult<String> {
    detached(py, move || {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        scheme_summary(&Scheme::from_text(&text)?, &text)
    })
}

/// A built-in assessment scheme (`model_community`); returns its JSON, as `check_scheme`.
#[pyfunction]
fn check_scheme_preset(py: Python<'_>, name: &str) -> PyResult<String> {
    let name = name.to_owned();
    detached(py, move || {
        let scheme = Scheme::preset(&name)?;
        scheme_summary(&scheme, shiliu::rules::preset_text(&name)?)
    })
}

fn options_arg(json: Option<&str>) -> PyResult<OpenOptions> {
    options(json).map_err(to_py)
}

#[pymodule]
fn _native(py: Python<'_>, m: &Bound<'_, PyModule>) -> PyResult<()> {
    build_exceptions(py, m)?;
    m.add("__version__", shiliu::VERSION)?;
    m.add("FORMAT_VERSION", shiliu::FORMAT_VERSION)?;
    m.add_function(wrap_pyfunction!(ethnicity, m)?)?;
    m.add_function(wrap_pyfunction!(ethnicities, m)?)?;
    m.add_function(wrap_pyfunction!(parse_id_number, m)?)?;
    m.add_function(wrap_pyfunction!(parse_division_code, m)?)?;
    m.add_function(wrap_pyfunction!(parse_credit_code, m)?)?;
    m.add_function(wrap_pyfunction!(protect_cube, m)?)?;
    m.add_function(wrap_pyfunction!(preset_text, m)?)?;
    m.add_function(wrap_pyfunction!(check_rules, m)?)?;
    m.add_function(wrap_pyfunction!(check_rules_file, m)?)?;
    m.add_function(wrap_pyfunction!(check_rules_preset, m)?)?;
    m.add_function(wrap_pyfunction!(check_scheme, m)?)?;
    m.add_function(wrap_pyfunction!(check_scheme_file, m)?)?;
    m.add_function(wrap_pyfunction!(check_scheme_preset, m)?)?;
    m.add_class::<PyWarning>()?;
    m.add_class::<PyEthnicity>()?;
    m.add_class::<PyIdNumber>()?;
    m.add_class::<PyRegistry>()?;
    Ok(())
}
