//! Built-in examples ("Try an example"): real-format logs embedded in the page, one per
//! diagnosis family. They are the core's fixtures, so the page, the CLI and the tests agree on
//! what each one shows.

pub struct Example {
    /// `data-example` id (CONTRACTS.md).
    pub id: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
    /// The rule id this example must produce (checked by the browser tests).
    pub expect: &'static str,
    /// (file name, content) pairs analysed together.
    pub files: &'static [(&'static str, &'static str)],
}

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!("../core/fixtures/", $path))
    };
}

pub const EXAMPLES: &[Example] = &[
    Example {
        id: "sas-expired",
        title: "Expired SAS (403)",
        blurb: "A .NET app keeps uploading with a shared access signature after its expiry time.",
        expect: "sas-expired",
        files: &[("sas-expired.dotnet-legacy-trace.log", fixture!("scenarios/sas-expired.dotnet-legacy-trace.log"))],
    },
    Example {
        id: "container-create-race",
        title: "Upload before the container exists (404)",
        blurb: "CreateIfNotExists and an upload run interleaved; the upload reaches the service first.",
        expect: "container-create-race",
        files: &[(
            "create-upload.dotnet-legacy-trace.log",
            fixture!("scenarios/ops-container-create-race.dotnet-legacy-trace.log"),
        )],
    },
    Example {
        id: "cors-ie",
        title: "CORS in Internet Explorer (SEC7120)",
        blurb: "A page on localhost calls Blob Storage; IE reports SEC7120 and SCRIPT7002.",
        expect: "cors-blocked",
        files: &[("ie11-console.txt", fixture!("browser-console/ie11-f12-tsg-localhost-56309.txt"))],
    },
    Example {
        id: "cors-chrome",
        title: "CORS in Chrome",
        blurb: "A React app's upload is blocked by CORS policy: no matching rule on the storage account.",
        expect: "cors-blocked",
        files: &[("chrome-console.txt", fixture!("browser-console/chrome-devtools-react-blob-upload.txt"))],
    },
    Example {
        id: "retry-after-success",
        title: "Retried delete returns 404",
        blurb: "The first delete succeeded on the service, the client never saw the reply, and its retry failed.",
        expect: "retry-after-unacknowledged-success",
        files: &[(
            "table-delete.storage-analytics.log",
            fixture!("scenarios/ops-retry-after-unacknowledged-success.storage-analytics.log"),
        )],
    },
    Example {
        id: "name-being-deleted",
        title: "Recreated too soon (409)",
        blurb: "A container is deleted and created again under the same name while the delete is still running.",
        expect: "name-being-deleted",
        files: &[("recreate.storage-analytics.log", fixture!("scenarios/ops-name-being-deleted.storage-analytics.log"))],
    },
    Example {
        id: "benign-only",
        title: "Low PercentSuccess, nothing wrong",
        blurb: "Only expected errors: existence checks, create-if-not-exists, conditional reads.",
        expect: "percent-success-explained",
        files: &[(
            "expected-errors.storage-analytics.log",
            fixture!("scenarios/ops-benign-client-other-errors.storage-analytics.log"),
        )],
    },
];

pub fn by_id(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}
