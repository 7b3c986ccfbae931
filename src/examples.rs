//! Built-in examples ("Try an example"): real-format logs embedded in the page, one per
//! diagnosis family. They are the core's scenario fixtures, so the page, the CLI and the tests
//! agree on what each one shows.

pub struct Example {
    /// `data-example` id (CONTRACTS.md).
    pub id: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    /// (file name, content) pairs analysed together.
    pub files: &'static [(&'static str, &'static str)],
}

pub const EXAMPLES: &[Example] = &[Example {
    id: "sas-expired",
    title: "Expired SAS (403)",
    blurb: "A .NET app keeps uploading with a shared access signature after its expiry time.",
    files: &[(
        "sas-expired.dotnet-legacy-trace.log",
        include_str!("../core/fixtures/scenarios/sas-expired.dotnet-legacy-trace.log"),
    )],
}];

pub fn by_id(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}
