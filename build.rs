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
}
