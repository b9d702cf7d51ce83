//! What every export shares: the error object, the panic guard, and string conversion.

use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use shiliu_core::Error;

/// Everything went well.
pub const SHILIU_STATUS_OK: i32 = 0;
/// Input was not valid (bad code, date, JSON, UTF-8, NULL where a value is required).
pub const SHILIU_STATUS_VALIDATION: i32 = 1;
/// Something named does not exist.
pub const SHILIU_STATUS_NOT_FOUND: i32 = 2;
/// The principal may not do this.
pub const SHILIU_STATUS_ACCESS_DENIED: i32 = 3;
/// The database or file system failed.
pub const SHILIU_STATUS_STORAGE: i32 = 4;
/// The request contradicts the record.
pub const SHILIU_STATUS_CONFLICT: i32 = 5;
/// A bug in shiliu.
pub const SHILIU_STATUS_INTERNAL: i32 = 6;
/// shiliu panicked; the call had no effect that was committed. A registry handle that
/// panicked is poisoned: later calls on it fail with this status.
pub const SHILIU_STATUS_PANIC: i32 = 7;

/// Stable error code of a caught panic (see `shiliu_error_code`).
pub const SHILIU_ERROR_CODE_PANIC: u32 = 6002;

/// An error: status, stable code and message. Owned by the caller; free it with
/// `shiliu_error_free`. Its message stays valid until then.
pub struct shiliu_error {
    pub(crate) status: i32,
    pub(crate) code: u32,
    pub(crate) message: CString,
}

impl shiliu_error {
    fn new(status: i32, code: u32, message: String) -> shiliu_error {
        // Interior NULs cannot be represented in a C string; replace them.
        let message = CString::new(message.replace('\0', "\u{FFFD}"))
            .unwrap_or_else(|_| CString::from(c"shiliu: unprintable error"));
        shiliu_error {
            status,
            code,
            message,
        }
    }
}

pub(crate) fn from_core(e: &Error) -> shiliu_error {
    shiliu_error::new(e.kind() as i32, e.code(), e.to_string())
}

/// Stores `e` in `*err` when the caller asked for it (`err` not NULL).
fn report(err: *mut *mut shiliu_error, e: shiliu_error) -> i32 {
    let status = e.status;
    if !err.is_null() {
        // SAFETY: the caller passes either NULL or a valid pointer to a writable slot.
        unsafe { *err = Box::into_raw(Box::new(e)) };
    }
    status
}

/// The one guard every fallible export goes through: runs `f`, turns an `Error` into a
/// status and error object, and a panic into `SHILIU_STATUS_PANIC` (never an abort).
/// `on_panic` runs after a panic (used to poison a handle).
pub(crate) fn guard(
    err: *mut *mut shiliu_error,
    on_panic: impl FnOnce(),
    f: impl FnOnce() -> Result<(), Error>,
) -> i32 {
    if !err.is_null() {
        // SAFETY: as in `report`.
        unsafe { *err = std::ptr::null_mut() };
    }
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => SHILIU_STATUS_OK,
        Ok(Err(e)) => report(err, from_core(&e)),
        Err(payload) => {
            on_panic();
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            report(
                err,
                shiliu_error::new(
                    SHILIU_STATUS_PANIC,
                    SHILIU_ERROR_CODE_PANIC,
                    format!("internal error: shiliu panicked ({what})"),
                ),
            )
        }
    }
}

/// Reads a pointer + length string argument as UTF-8. NULL with length 0 is the empty
/// string; NULL otherwise is an error naming the argument.
pub(crate) fn str_arg<'a>(what: &str, ptr: *const u8, len: usize) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return if len == 0 {
            Ok("")
        } else {
            Err(Error::invalid(what, "NULL pointer with a non-zero length"))
        };
    }
    // SAFETY: the caller guarantees `ptr` points to `len` readable bytes for the call.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    std::str::from_utf8(bytes)
        .map_err(|e| Error::invalid(what, format!("not valid UTF-8 (byte {})", e.valid_up_to())))
}

/// Like [`str_arg`], but NULL (with length 0) means "not given".
pub(crate) fn opt_str_arg<'a>(
    what: &str,
    ptr: *const u8,
    len: usize,
) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        if len == 0 {
            Ok(None)
        } else {
            Err(Error::invalid(what, "NULL pointer with a non-zero length"))
        }
    } else {
        str_arg(what, ptr, len).map(Some)
    }
}

/// Checks an output pointer.
pub(crate) fn out_arg<T>(what: &str, out: *mut T) -> Result<(), Error> {
    if out.is_null() {
        Err(Error::invalid(what, "NULL output pointer"))
    } else {
        Ok(())
    }
}

/// Hands a string to the caller (freed with `shiliu_string_free`).
pub(crate) fn give_string(out: *mut *mut c_char, s: String) -> Result<(), Error> {
    out_arg("output string", out)?;
    let c = CString::new(s).map_err(|_| Error::Internal("output contains NUL".into()))?;
    // SAFETY: `out` was checked to be non-NULL; the caller owns the slot.
    unsafe { *out = c.into_raw() };
    Ok(())
}

/// Writes a value through an output pointer.
pub(crate) fn give<T>(what: &str, out: *mut T, value: T) -> Result<(), Error> {
    out_arg(what, out)?;
    // SAFETY: `out` was checked to be non-NULL; the caller owns the slot.
    unsafe { *out = value };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiliu_core::ErrorKind;

    #[test]
    fn status_constants_match_the_core_error_kinds() {
        assert_eq!(SHILIU_STATUS_VALIDATION, ErrorKind::Validation as i32);
        assert_eq!(SHILIU_STATUS_NOT_FOUND, ErrorKind::NotFound as i32);
        assert_eq!(SHILIU_STATUS_ACCESS_DENIED, ErrorKind::AccessDenied as i32);
        assert_eq!(SHILIU_STATUS_STORAGE, ErrorKind::Storage as i32);
        assert_eq!(SHILIU_STATUS_CONFLICT, ErrorKind::Conflict as i32);
        assert_eq!(SHILIU_STATUS_INTERNAL, ErrorKind::Internal as i32);
        assert_eq!(crate::SHILIU_FORMAT_VERSION, shiliu_core::FORMAT_VERSION);
    }
}
