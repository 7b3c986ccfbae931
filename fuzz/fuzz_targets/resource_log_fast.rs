//! The resource-log parser's fast record reader against serde, line by line: whenever the fast
//! reader gives a record, it must be the one serde reads.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.lines() {
        assert!(
            storage_doctor_core::formats::fast_reader_agrees_with_serde(line.trim()),
            "the fast reader and serde disagree on {line:?}"
        );
    }
});
