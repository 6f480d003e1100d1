//! With the `split` feature, keeps the linker's relocations in the browser build's .wasm: the
//! splitter (scripts/split-wasm) needs them to move each part's code into a module of its own.

fn main() {
    let split = std::env::var_os("CARGO_FEATURE_SPLIT").is_some();
    let wasm = std::env::var("CARGO_CFG_TARGET_FAMILY").is_ok_and(|family| family == "wasm");
    if split && wasm {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
