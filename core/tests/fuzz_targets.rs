//! A format added to the registry must not escape fuzzing: each one has its cargo-fuzz target
//! (forcing that format) and committed seeds (docs/FUZZING.md).

use std::fs;
use std::path::Path;

#[test]
fn every_format_has_a_fuzz_target_with_seeds() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let manifest = fs::read_to_string(fuzz.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for id in storage_doctor_core::formats::ids() {
        let name = format!("format_{}", id.replace('-', "_"));
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name} for the format {id}"
        );
        let src = fs::read_to_string(fuzz.join("fuzz_targets").join(format!("{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz/fuzz_targets/{name}.rs: {e}"));
        assert!(
            src.contains(&format!("Some(\"{id}\")")),
            "fuzz/fuzz_targets/{name}.rs does not force the format {id}"
        );
        let seeds = fs::read_dir(fuzz.join("corpus").join(&name))
            .map(|d| d.count())
            .unwrap_or(0);
        assert!(seeds > 0, "fuzz/corpus/{name}/ holds no seed");
    }
}
