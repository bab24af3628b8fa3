//! Generates Tauri's context from `tauri.conf.json` at the repository root
//! (two levels up from this crate); capabilities stay in `./capabilities`.

fn main() {
    let attributes = tauri_build::Attributes::new().config_path("../../tauri.conf.json");
    if let Err(error) = tauri_build::try_build(attributes) {
        // Print the reason in one line rather than a panic backtrace.
        eprintln!("Tauri build step failed: {error:#}");
        std::process::exit(1);
    }
}
