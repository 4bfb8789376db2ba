//! Generates the C header `include/avara.h` with cbindgen.
//!
//! The header is committed so that C users need no Rust toolchain to read
//! it. The build writes it only when its content changes, and also leaves
//! a copy in OUT_DIR, which a test compares with the committed file.

use std::path::PathBuf;

fn main() {
    let crate_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header from src/");

    bindings.write_to_file(out_dir.join("avara.h"));
    bindings.write_to_file(crate_dir.join("include").join("avara.h"));

    set_soname();
}

/// Gives release builds of the shared library the soname `libavara.so.0`,
/// which programs record as their dependency and `make install` provides.
///
/// Debug builds get none, because the tests link the `libavara.so` in
/// `target/debug/deps` and no `libavara.so.0` exists next to it. For the
/// same reason `make release` adds a `libavara.so.0` symlink to
/// `target/release`.
fn set_soname() {
    let profile = std::env::var("PROFILE").unwrap_or_default();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let elf_with_gnu_flags = matches!(
        target_os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    );
    if profile == "release" && elf_with_gnu_flags {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libavara.so.0");
    }
}
