//! The same rule change written for every place a user may make it: the Azure portal, the Azure
//! CLI, Azure PowerShell, Bicep, an ARM template, the Set Service Properties XML body, the .NET v12
//! SDK and the JavaScript SDK.
//!
//! Syntax follows the public references: `az storage cors add/clear` (space-separated lists,
//! `--services b|f|q|t`), `Set-AzStorageCORSRule -ServiceType … -CorsRules` (hashtables with
//! array values; it replaces the whole list), the `Microsoft.Storage/storageAccounts/*Services`
//! resource (`properties.cors.corsRules[]` with array values, all five properties required), the
//! REST `<Cors><CorsRule>` body (comma-separated values), the SDKs' `*CorsRule` types
//! (comma-separated strings). Which of them add to the current list and which replace it matters,
//! so each form says so.

use std::fmt::Write;

use serde::Serialize;

use super::{xml, CorsRule};
use crate::model::Service;

/// Whether a rule of the list to set is new, changed or kept as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    Unchanged,
    Changed,
    New,
}

/// One rendering of the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CorsForm {
    /// Where it is used: "Azure portal", "Azure CLI", "Bicep"…
    pub name: String,
    pub text: String,
}

/// What to render.
pub struct FormsInput<'a> {
    /// Blob, Queue, Table or File (Unknown and Dfs are written as Blob).
    pub service: Service,
    /// With `whole_list`, the complete list to set in order; otherwise the rule(s) to add.
    pub rules: &'a [CorsRule],
    /// Aligned with `rules`.
    pub status: &'a [RuleStatus],
    pub whole_list: bool,
    /// The storage account name when the evidence shows exactly one.
    pub account: Option<&'a str>,
}

/// Per-service names in the tools and SDKs.
struct Names {
    letter: &'static str,
    word: &'static str,
    portal_tab: &'static str,
    ps: &'static str,
    arm: &'static str,
    host: &'static str,
    net_package: &'static str,
    net_ns: &'static str,
    net_models: &'static str,
    net_client: &'static str,
    net_props: &'static str,
    net_rule: &'static str,
    js_package: &'static str,
    js_client: &'static str,
}

fn names(s: Service) -> Names {
    match s {
        Service::Queue => Names {
            letter: "q",
            word: "queue",
            portal_tab: "Queue service",
            ps: "Queue",
            arm: "queueServices",
            host: "queue",
            net_package: "Azure.Storage.Queues",
            net_ns: "Azure.Storage.Queues",
            net_models: "Azure.Storage.Queues.Models",
            net_client: "QueueServiceClient",
            net_props: "QueueServiceProperties",
            net_rule: "QueueCorsRule",
            js_package: "@azure/storage-queue",
            js_client: "QueueServiceClient",
        },
        Service::Table => Names {
            letter: "t",
            word: "table",
            portal_tab: "Table service",
            ps: "Table",
            arm: "tableServices",
            host: "table",
            net_package: "Azure.Data.Tables",
            net_ns: "Azure.Data.Tables",
            net_models: "Azure.Data.Tables.Models",
            net_client: "TableServiceClient",
            net_props: "TableServiceProperties",
            net_rule: "TableCorsRule",
            js_package: "@azure/data-tables",
            js_client: "TableServiceClient",
        },
        Service::File => Names {
            letter: "f",
            word: "file",
            portal_tab: "File service",
            ps: "File",
            arm: "fileServices",
            host: "file",
            net_package: "Azure.Storage.Files.Shares",
            net_ns: "Azure.Storage.Files.Shares",
            net_models: "Azure.Storage.Files.Shares.Models",
            net_client: "ShareServiceClient",
            net_props: "ShareServiceProperties",
            net_rule: "ShareCorsRule",
            js_package: "@azure/storage-file-share",
            js_client: "ShareServiceClient",
        },
        _ => Names {
            letter: "b",
            word: "blob",
            portal_tab: "Blob service",
            ps: "Blob",
            arm: "blobServices",
            host: "blob",
            net_package: "Azure.Storage.Blobs",
            net_ns: "Azure.Storage.Blobs",
            net_models: "Azure.Storage.Blobs.Models",
            net_client: "BlobServiceClient",
            net_props: "BlobServiceProperties",
            net_rule: "BlobCorsRule",
            js_package: "@azure/storage-blob",
            js_client: "BlobServiceClient",
        },
    }
}

/// ARM and the CLI take method names in upper case; PowerShell's examples use `Get`, `Put`.
fn upper(v: &[String]) -> Vec<String> {
    v.iter().map(|m| m.trim().to_ascii_uppercase()).collect()
}

fn ps_method(m: &str) -> String {
    let m = m.trim().to_ascii_lowercase();
    let mut cs = m.chars();
    match cs.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + cs.as_str(),
        None => String::new(),
    }
}

/// Quotes a shell word when it holds anything beyond plain URL/header characters (`*` above all).
fn sh(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A double-quoted string literal for C#, JavaScript and JSON (same escapes for our values).
fn dq(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// A single-quoted literal for PowerShell and Bicep.
fn sq_ps(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn sq_bicep(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn joined(v: &[String]) -> String {
    v.join(",")
}

fn only_appends(i: &FormsInput<'_>) -> bool {
    // Existing rules untouched and new ones at the end: adding is enough.
    let first_new = i
        .status
        .iter()
        .position(|s| *s == RuleStatus::New)
        .unwrap_or(i.status.len());
    i.status[..first_new]
        .iter()
        .all(|s| *s == RuleStatus::Unchanged)
        && i.status[first_new..].iter().all(|s| *s == RuleStatus::New)
}

fn portal(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let acct = i
        .account
        .map(|a| format!("storage account '{a}'"))
        .unwrap_or_else(|| "your storage account".to_string());
    let _ = writeln!(
        s,
        "Azure portal → {acct} → Settings → Resource sharing (CORS) → '{}' tab.",
        n.portal_tab
    );
    let row = |s: &mut String, r: &CorsRule| {
        let _ = writeln!(s, "  Allowed origins: {}", r.allowed_origins.join(","));
        let _ = writeln!(
            s,
            "  Allowed methods: {}",
            upper(&r.allowed_methods).join(",")
        );
        let _ = writeln!(s, "  Allowed headers: {}", r.allowed_headers.join(","));
        let _ = writeln!(s, "  Exposed headers: {}", r.exposed_headers.join(","));
        let _ = writeln!(s, "  Max age: {}", r.max_age_seconds);
    };
    for (k, (r, st)) in i.rules.iter().zip(i.status).enumerate() {
        match (i.whole_list, st) {
            (_, RuleStatus::Unchanged) => continue,
            (true, RuleStatus::Changed) => {
                let _ = writeln!(s, "Edit row {} so that it reads:", k + 1);
            }
            (true, RuleStatus::New) if k + 1 < i.rules.len() => {
                let _ = writeln!(
                    s,
                    "Add a row, and make it row {} (rules are tried in order) — delete and re-add \
                     the rows below it if needed:",
                    k + 1
                );
            }
            _ => {
                let _ = writeln!(s, "Add a row:");
            }
        }
        row(&mut s, r);
    }
    let _ = writeln!(s, "Then select Save.");
    s
}

fn cli(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let acct = match i.account {
        Some(a) => format!(" \\\n    --account-name {}", sh(a)),
        None => String::new(),
    };
    if i.account.is_none() {
        let _ = writeln!(
            s,
            "# Uses AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY (or AZURE_STORAGE_CONNECTION_STRING) \
             from the environment."
        );
    }
    let append = !i.whole_list || only_appends(i);
    if !append {
        let _ = writeln!(
            s,
            "# 'az storage cors' cannot edit a rule in place: clear the list, then add every rule \
             back in order."
        );
        let _ = writeln!(s, "az storage cors clear --services {}{acct}", n.letter);
    }
    for (r, st) in i.rules.iter().zip(i.status) {
        if append && *st == RuleStatus::Unchanged {
            continue;
        }
        let _ = write!(
            s,
            "az storage cors add --services {} \\\n    --origins {} \\\n    --methods {}",
            n.letter,
            r.allowed_origins
                .iter()
                .map(|o| sh(o))
                .collect::<Vec<_>>()
                .join(" "),
            upper(&r.allowed_methods).join(" ")
        );
        if !r.allowed_headers.is_empty() {
            let _ = write!(
                s,
                " \\\n    --allowed-headers {}",
                r.allowed_headers
                    .iter()
                    .map(|h| sh(h))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        if !r.exposed_headers.is_empty() {
            let _ = write!(
                s,
                " \\\n    --exposed-headers {}",
                r.exposed_headers
                    .iter()
                    .map(|h| sh(h))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        let _ = writeln!(s, " \\\n    --max-age {}{acct}", r.max_age_seconds);
    }
    s
}

fn ps_array(v: &[String]) -> String {
    format!(
        "@({})",
        v.iter().map(|x| sq_ps(x)).collect::<Vec<_>>().join(", ")
    )
}

fn ps_rule(s: &mut String, r: &CorsRule, indent: &str) {
    let _ = writeln!(s, "{indent}@{{");
    let _ = writeln!(
        s,
        "{indent}    AllowedOrigins = {}",
        ps_array(&r.allowed_origins)
    );
    let methods: Vec<String> = r.allowed_methods.iter().map(|m| ps_method(m)).collect();
    let _ = writeln!(s, "{indent}    AllowedMethods = {}", ps_array(&methods));
    let _ = writeln!(
        s,
        "{indent}    AllowedHeaders = {}",
        ps_array(&r.allowed_headers)
    );
    let _ = writeln!(
        s,
        "{indent}    ExposedHeaders = {}",
        ps_array(&r.exposed_headers)
    );
    let _ = writeln!(s, "{indent}    MaxAgeInSeconds = {}", r.max_age_seconds);
    let _ = write!(s, "{indent}}}");
}

fn powershell(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Set-AzStorageCORSRule replaces the whole rule list of the service."
    );
    match i.account {
        Some(a) => {
            let _ = writeln!(s, "$accountName = {}", sq_ps(a));
        }
        None => {
            let _ = writeln!(s, "$accountName = $env:AZURE_STORAGE_ACCOUNT");
        }
    }
    let _ = writeln!(
        s,
        "$ctx = (Get-AzStorageAccount | Where-Object StorageAccountName -eq $accountName).Context"
    );
    if i.whole_list {
        let _ = writeln!(s, "$CorsRules = @(");
        for (k, r) in i.rules.iter().enumerate() {
            ps_rule(&mut s, r, "    ");
            let _ = writeln!(s, "{}", if k + 1 < i.rules.len() { "," } else { "" });
        }
        let _ = writeln!(s, ")");
    } else {
        let _ = writeln!(
            s,
            "# Keep the current rules and add the new one after them."
        );
        let _ = writeln!(
            s,
            "$CorsRules = @(Get-AzStorageCORSRule -ServiceType {} -Context $ctx)",
            n.ps
        );
        for r in i.rules {
            let _ = write!(s, "$CorsRules += ");
            ps_rule(&mut s, r, "");
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(
        s,
        "Set-AzStorageCORSRule -ServiceType {} -CorsRules $CorsRules -Context $ctx",
        n.ps
    );
    s
}

fn bicep_array(s: &mut String, key: &str, v: &[String], indent: &str) {
    if v.is_empty() {
        let _ = writeln!(s, "{indent}{key}: []");
        return;
    }
    let _ = writeln!(s, "{indent}{key}: [");
    for x in v {
        let _ = writeln!(s, "{indent}  {}", sq_bicep(x));
    }
    let _ = writeln!(s, "{indent}]");
}

fn bicep(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    if !i.whole_list {
        let _ = writeln!(
            s,
            "// Deploying this sets the service's complete rule list: add your current rules to \
             corsRules first."
        );
    }
    match i.account {
        Some(a) => {
            let _ = writeln!(s, "param storageAccountName string = {}", sq_bicep(a));
        }
        None => {
            let _ = writeln!(s, "param storageAccountName string");
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "resource storageAccount 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {{"
    );
    let _ = writeln!(s, "  name: storageAccountName");
    let _ = writeln!(s, "}}");
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "resource {}Service 'Microsoft.Storage/storageAccounts/{}@2023-01-01' = {{",
        n.word, n.arm
    );
    let _ = writeln!(s, "  parent: storageAccount");
    let _ = writeln!(s, "  name: 'default'");
    let _ = writeln!(s, "  properties: {{");
    let _ = writeln!(s, "    cors: {{");
    let _ = writeln!(s, "      corsRules: [");
    for r in i.rules {
        let ind = "          ";
        let _ = writeln!(s, "        {{");
        bicep_array(&mut s, "allowedOrigins", &r.allowed_origins, ind);
        bicep_array(&mut s, "allowedMethods", &upper(&r.allowed_methods), ind);
        bicep_array(&mut s, "allowedHeaders", &r.allowed_headers, ind);
        bicep_array(&mut s, "exposedHeaders", &r.exposed_headers, ind);
        let _ = writeln!(s, "{ind}maxAgeInSeconds: {}", r.max_age_seconds);
        let _ = writeln!(s, "        }}");
    }
    let _ = writeln!(s, "      ]");
    let _ = writeln!(s, "    }}");
    let _ = writeln!(s, "  }}");
    let _ = writeln!(s, "}}");
    s
}

fn json_array(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter().map(|x| dq(x)).collect::<Vec<_>>().join(", ")
    )
}

fn arm(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(
        s,
        "  \"$schema\": \"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#\","
    );
    let _ = writeln!(s, "  \"contentVersion\": \"1.0.0.0\",");
    let _ = writeln!(s, "  \"parameters\": {{");
    match i.account {
        Some(a) => {
            let _ = writeln!(
                s,
                "    \"storageAccountName\": {{ \"type\": \"string\", \"defaultValue\": {} }}",
                dq(a)
            );
        }
        None => {
            let _ = writeln!(s, "    \"storageAccountName\": {{ \"type\": \"string\" }}");
        }
    }
    let _ = writeln!(s, "  }},");
    let _ = writeln!(s, "  \"resources\": [");
    let _ = writeln!(s, "    {{");
    let _ = writeln!(
        s,
        "      \"type\": \"Microsoft.Storage/storageAccounts/{}\",",
        n.arm
    );
    let _ = writeln!(s, "      \"apiVersion\": \"2023-01-01\",");
    let _ = writeln!(
        s,
        "      \"name\": \"[format('{{0}}/default', parameters('storageAccountName'))]\","
    );
    let _ = writeln!(s, "      \"properties\": {{");
    let _ = writeln!(s, "        \"cors\": {{");
    let _ = writeln!(s, "          \"corsRules\": [");
    for (k, r) in i.rules.iter().enumerate() {
        let ind = "              ";
        let _ = writeln!(s, "            {{");
        let _ = writeln!(
            s,
            "{ind}\"allowedOrigins\": {},",
            json_array(&r.allowed_origins)
        );
        let _ = writeln!(
            s,
            "{ind}\"allowedMethods\": {},",
            json_array(&upper(&r.allowed_methods))
        );
        let _ = writeln!(
            s,
            "{ind}\"allowedHeaders\": {},",
            json_array(&r.allowed_headers)
        );
        let _ = writeln!(
            s,
            "{ind}\"exposedHeaders\": {},",
            json_array(&r.exposed_headers)
        );
        let _ = writeln!(s, "{ind}\"maxAgeInSeconds\": {}", r.max_age_seconds);
        let _ = writeln!(
            s,
            "            }}{}",
            if k + 1 < i.rules.len() { "," } else { "" }
        );
    }
    let _ = writeln!(s, "          ]");
    let _ = writeln!(s, "        }}");
    let _ = writeln!(s, "      }}");
    let _ = writeln!(s, "    }}");
    let _ = writeln!(s, "  ]");
    let _ = writeln!(s, "}}");
    s
}

fn xml_body(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
    let endpoint = match i.account {
        Some(a) => format!("https://{a}.{}.core.windows.net/", n.host),
        None => format!("https://<account>.{}.core.windows.net/", n.host),
    };
    let _ = writeln!(
        s,
        "<!-- PUT {endpoint}?restype=service&comp=properties (x-ms-version 2013-08-15 or later). \
         A body with a Cors element replaces every CORS rule of the service{}. -->",
        if i.whole_list {
            ""
        } else {
            ": put your current rules (GET the same URL) before the new one"
        }
    );
    let _ = writeln!(s, "<StorageServiceProperties>");
    let _ = writeln!(s, "  <Cors>");
    for r in i.rules {
        let tag = |s: &mut String, name: &str, v: &str| {
            if v.is_empty() {
                let _ = writeln!(s, "      <{name} />");
            } else {
                let _ = writeln!(s, "      <{name}>{}</{name}>", xml::escape(v));
            }
        };
        let _ = writeln!(s, "    <CorsRule>");
        tag(&mut s, "AllowedOrigins", &joined(&r.allowed_origins));
        tag(
            &mut s,
            "AllowedMethods",
            &joined(&upper(&r.allowed_methods)),
        );
        tag(&mut s, "MaxAgeInSeconds", &r.max_age_seconds.to_string());
        tag(&mut s, "ExposedHeaders", &joined(&r.exposed_headers));
        tag(&mut s, "AllowedHeaders", &joined(&r.allowed_headers));
        let _ = writeln!(s, "    </CorsRule>");
    }
    let _ = writeln!(s, "  </Cors>");
    let _ = writeln!(s, "</StorageServiceProperties>");
    s
}

fn dotnet(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// dotnet add package {}", n.net_package);
    let _ = writeln!(s, "using System;");
    let _ = writeln!(s, "using {};", n.net_ns);
    let _ = writeln!(s, "using {};", n.net_models);
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "var service = new {}(Environment.GetEnvironmentVariable(\"AZURE_STORAGE_CONNECTION_STRING\"));",
        n.net_client
    );
    let _ = writeln!(
        s,
        "{} properties = (await service.GetPropertiesAsync()).Value;",
        n.net_props
    );
    let (rules, replace): (Vec<&CorsRule>, bool) = if i.whole_list && !only_appends(i) {
        (i.rules.iter().collect(), true)
    } else {
        (
            i.rules
                .iter()
                .zip(i.status)
                .filter(|(_, st)| !i.whole_list || **st != RuleStatus::Unchanged)
                .map(|(r, _)| r)
                .collect(),
            false,
        )
    };
    if replace {
        let _ = writeln!(
            s,
            "// The list is rewritten in order: the first matching rule wins."
        );
        let _ = writeln!(s, "properties.Cors.Clear();");
    }
    for r in rules {
        let o = dq(&joined(&r.allowed_origins));
        let m = dq(&joined(&upper(&r.allowed_methods)));
        let ah = dq(&joined(&r.allowed_headers));
        let eh = dq(&joined(&r.exposed_headers));
        if n.net_rule == "TableCorsRule" {
            // TableCorsRule has no parameterless constructor.
            let _ = writeln!(s, "properties.Cors.Add(new TableCorsRule(");
            let _ = writeln!(s, "    allowedOrigins: {o},");
            let _ = writeln!(s, "    allowedMethods: {m},");
            let _ = writeln!(s, "    allowedHeaders: {ah},");
            let _ = writeln!(s, "    exposedHeaders: {eh},");
            let _ = writeln!(s, "    maxAgeInSeconds: {}));", r.max_age_seconds);
        } else {
            let _ = writeln!(s, "properties.Cors.Add(new {}", n.net_rule);
            let _ = writeln!(s, "{{");
            let _ = writeln!(s, "    AllowedOrigins = {o},");
            let _ = writeln!(s, "    AllowedMethods = {m},");
            let _ = writeln!(s, "    AllowedHeaders = {ah},");
            let _ = writeln!(s, "    ExposedHeaders = {eh},");
            let _ = writeln!(s, "    MaxAgeInSeconds = {}", r.max_age_seconds);
            let _ = writeln!(s, "}});");
        }
    }
    let _ = writeln!(s, "await service.SetPropertiesAsync(properties);");
    s
}

fn js_rule(s: &mut String, r: &CorsRule, indent: &str) {
    let _ = writeln!(s, "{indent}{{");
    let _ = writeln!(
        s,
        "{indent}  allowedOrigins: {},",
        dq(&joined(&r.allowed_origins))
    );
    let _ = writeln!(
        s,
        "{indent}  allowedMethods: {},",
        dq(&joined(&upper(&r.allowed_methods)))
    );
    let _ = writeln!(
        s,
        "{indent}  allowedHeaders: {},",
        dq(&joined(&r.allowed_headers))
    );
    let _ = writeln!(
        s,
        "{indent}  exposedHeaders: {},",
        dq(&joined(&r.exposed_headers))
    );
    let _ = writeln!(s, "{indent}  maxAgeInSeconds: {},", r.max_age_seconds);
    let _ = write!(s, "{indent}}}");
}

fn javascript(i: &FormsInput<'_>, n: &Names) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "// npm install {}", n.js_package);
    let _ = writeln!(
        s,
        "const {{ {} }} = require(\"{}\");",
        n.js_client, n.js_package
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "async function main() {{");
    let _ = writeln!(
        s,
        "  const client = {}.fromConnectionString(process.env.AZURE_STORAGE_CONNECTION_STRING);",
        n.js_client
    );
    if i.whole_list {
        let _ = writeln!(
            s,
            "  // setProperties with a cors list replaces every rule of the service, in this order."
        );
        let _ = writeln!(s, "  await client.setProperties({{");
        let _ = writeln!(s, "    cors: [");
        for r in i.rules {
            js_rule(&mut s, r, "      ");
            let _ = writeln!(s, ",");
        }
        let _ = writeln!(s, "    ],");
        let _ = writeln!(s, "  }});");
    } else {
        let _ = writeln!(s, "  const {{ cors = [] }} = await client.getProperties();");
        for r in i.rules {
            let _ = write!(s, "  cors.push(");
            let mut body = String::new();
            js_rule(&mut body, r, "  ");
            let _ = writeln!(s, "{});", body.trim_start());
        }
        let _ = writeln!(s, "  await client.setProperties({{ cors }});");
    }
    let _ = writeln!(s, "}}");
    let _ = writeln!(s);
    let _ = writeln!(s, "main().catch((err) => {{");
    let _ = writeln!(s, "  console.error(err);");
    let _ = writeln!(s, "  process.exit(1);");
    let _ = writeln!(s, "}});");
    s
}

/// Every form, in the order the report shows them.
pub fn render_forms(i: &FormsInput<'_>) -> Vec<CorsForm> {
    let n = names(i.service);
    let form = |name: &str, text: String| CorsForm {
        name: name.to_string(),
        text,
    };
    vec![
        form("Azure portal", portal(i, &n)),
        form("Azure CLI", cli(i, &n)),
        form("Azure PowerShell", powershell(i, &n)),
        form("Bicep", bicep(i, &n)),
        form("ARM template (JSON)", arm(i, &n)),
        form("Set Service Properties (REST XML body)", xml_body(i, &n)),
        form(".NET (Azure SDK v12)", dotnet(i, &n)),
        form("JavaScript (Azure SDK)", javascript(i, &n)),
    ]
}
