//! Regenerates include/shiliu.h with the pinned cbindgen and fails on any difference.
//! Bless a deliberate change with `SHILIU_BLESS=1 cargo test -p shiliu-ffi --test header`.

use std::path::Path;

#[test]
fn header_matches_the_code() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .unwrap_or_else(|e| panic!("cbindgen.toml: {e}"));
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .unwrap_or_else(|e| panic!("cbindgen failed: {e}"));
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).unwrap_or_default();
    let path = crate_dir.join("include/shiliu.h");
    if std::env::var_os("SHILIU_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("write header: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/include/shiliu.h is out of date; regenerate with SHILIU_BLESS=1 cargo test -p shiliu-ffi --test header"
    );
}
