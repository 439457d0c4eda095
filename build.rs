//! Builds the gazetteer's name index when skilltrack is compiled.
//!
//! Folding, de-duplicating and sorting the 36,000 names of `data/geo/` took
//! two thirds of the gazetteer's build, which every process paid before its
//! first location. This script compiles the gazetteer's build code (the same
//! files as the library: `src/normalize/geo/{data,error,fold,names,rows,words}.rs`),
//! runs it once, and writes the index to `OUT_DIR`; the binary embeds it
//! (`include_bytes!` in `src/normalize/geo/mod.rs`) and reads it in place.
//! A test of the library builds the index again and compares the bytes.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/normalize/geo"]
mod geo {
    pub mod data;
    pub mod error;
    pub mod fold;
    pub mod names;
    pub mod rows;
    pub mod words;

    pub use error::GeoError;
}

/// What the index is built from: the data, and the gazetteer's code (the
/// whole folder, rather than a second list of the modules above to keep in
/// step; an edit to its tests reruns this script too, which takes a third of
/// a second).
const INPUTS: [&str; 3] = ["build.rs", "data/geo", "src/normalize/geo"];

fn main() {
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        fail("OUT_DIR is not set: run this build script through cargo");
    };
    let index = match geo::data::build_names() {
        Ok(index) => index,
        Err(e) => fail(&e.to_string()),
    };
    let parts = index.parts();
    write(&out.join("geo_names.txt"), parts.names.as_bytes());
    write(&out.join("geo_name_slots.bin"), parts.slots);
    write(
        &out.join("geo_first_words.txt"),
        parts.first_words.as_bytes(),
    );
    write(&out.join("geo_first_lengths.bin"), parts.first_lengths);
    write(&out.join("geo_readings.bin"), parts.readings);
}

fn write(path: &Path, bytes: &[u8]) {
    if let Err(e) = std::fs::write(path, bytes) {
        fail(&format!("cannot write {}: {e}", path.display()));
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
