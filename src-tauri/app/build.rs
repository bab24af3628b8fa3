//! Generates Tauri's context from `tauri.conf.json` at the repository root
//! (two levels up from this crate); capabilities stay in `./capabilities`.
//! In release builds on Linux, also strips the program's symbol table and
//! lays out the functions the app runs at start together
//! (`startup-order.txt`).

fn main() {
    let attributes = tauri_build::Attributes::new().config_path("../../tauri.conf.json");
    if let Err(error) = tauri_build::try_build(attributes) {
        // Print the reason in one line rather than a panic backtrace.
        eprintln!("Tauri build step failed: {error:#}");
        std::process::exit(1);
    }
    startup_layout();
}

/// Code the app runs at start, spread across the program, keeps ~13 MB of
/// it mapped in an idle app, because the kernel maps code in 64 KB blocks
/// around each page used; placed together first, it keeps ~3 MB
/// (`tests/app/perf.sh`). `startup-order.txt` lists those functions
/// (`scripts/startup-order.sh` regenerates it); names it lists that this
/// build lacks are skipped, so a stale list costs memory, never a build.
/// Only where Rust links with its own LLD (x86-64 Linux, Rust 1.90 and
/// later): the option is LLD's, so a linker chosen in Cargo's settings or
/// the Rust flags goes without it.
///
/// The symbol table is stripped here rather than by the profile's `strip`,
/// which would also rename every function (it is part of the crate's build
/// hash): `REVERIE_KEEP_SYMBOLS=1` keeps the names for that script, and the
/// functions are named as in the build users get.
fn startup_layout() {
    println!("cargo:rerun-if-changed=startup-order.txt");
    println!("cargo:rerun-if-env-changed=REVERIE_KEEP_SYMBOLS");
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let target = std::env::var("TARGET").unwrap_or_default();
    if !release {
        return;
    }
    if target.contains("-linux-") && std::env::var_os("REVERIE_KEEP_SYMBOLS").is_none() {
        println!("cargo:rustc-link-arg-bin=reverie-app=-Wl,--strip-all");
    }
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let own_linker = std::env::var_os("RUSTC_LINKER").is_some()
        || flags.contains("linker")
        || flags.contains("fuse-ld");
    if target != "x86_64-unknown-linux-gnu" || own_linker {
        return;
    }
    let Ok(dir) = std::env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = std::path::Path::new(&dir).join("startup-order.txt");
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bin=reverie-app=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bin=reverie-app=-Wl,--no-warn-symbol-ordering");
    }
}
