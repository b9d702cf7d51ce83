//! `shiliu._native`: the Python face's native module. Thin: it converts types, maps
//! errors to the exception tree in one place, and releases the GIL around every call
//! into the core. The typed, documented API lives in the pure-Python package `shiliu`.

use std::cell::Cell;
use std::sync::{OnceLock, PoisonError, RwLock};

use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};
use shiliu::codes::{
    CreditCode, DivisionCode, Ethnicity as CoreEthnicity, IdNumber as CoreIdNumber,
};
use shiliu::register::{ImportProgress, ResidentImportOptions};
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
}

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
    m.add_class::<PyWarning>()?;
    m.add_class::<PyEthnicity>()?;
    m.add_class::<PyIdNumber>()?;
    m.add_class::<PyRegistry>()?;
    Ok(())
}
