//! A guard carries no WASI adapter: it is no_std and imports only what it
//! guards, declared in its own WIT (see `components/guards/support`).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--wasi-adapter=none");
    }
}
