//! Operation names from what a client log shows (method + URL), in the service's own naming
//! (the names server logs use: `PutBlob`, `GetContainerProperties`…), so client and server
//! observations of one request can be compared.

use crate::knowledge::url::StorageUrl;
use crate::model::{Method, Service};

/// Infers the REST operation. Returns "" when it cannot be told.
pub fn infer(method: Method, url: &str) -> &'static str {
    let Some(u) = StorageUrl::parse(url) else {
        return "";
    };
    let mut comp = String::new();
    let mut restype = String::new();
    for (k, v) in u.params() {
        match k.as_ref() {
            "comp" => comp = v.to_ascii_lowercase(),
            "restype" => restype = v.to_ascii_lowercase(),
            _ => {}
        }
    }
    let service = u.service();
    let path = u.path.trim_matches('/');
    // Emulator URLs carry the account as the first path segment.
    let host = u.host.split(':').next().unwrap_or("");
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let segs: &[&str] =
        if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host == "localhost" {
            segs.get(1..).unwrap_or(&[])
        } else {
            &segs
        };
    match service {
        Service::Blob | Service::Dfs | Service::Unknown => {
            blob(method, segs.len(), &comp, &restype)
        }
        Service::Queue => queue(method, segs, &comp),
        Service::Table => table(method, segs),
        Service::File => file(method, segs.len(), &comp, &restype),
    }
}

fn blob(m: Method, depth: usize, comp: &str, restype: &str) -> &'static str {
    use Method::*;
    if m == Options {
        return "BlobPreflightRequest";
    }
    if depth == 0 {
        return match (m, comp) {
            (Get, "list") => "ListContainers",
            (Get, "properties") => "GetBlobServiceProperties",
            (Put, "properties") => "SetBlobServiceProperties",
            (Get, "stats") => "GetBlobServiceStats",
            (Post, "userdelegationkey") => "GetUserDelegationKey",
            (Get, "blobs") => "FindBlobsByTags",
            _ => "",
        };
    }
    if depth == 1 || restype == "container" {
        return match (m, comp) {
            (Put, "") => "CreateContainer",
            (Delete, "") => "DeleteContainer",
            (Get | Head, "") => "GetContainerProperties",
            (Get | Head, "metadata") => "GetContainerMetadata",
            (Put, "metadata") => "SetContainerMetadata",
            (Get | Head, "acl") => "GetContainerACL",
            (Put, "acl") => "SetContainerACL",
            (Put, "lease") => "LeaseContainer",
            (Get, "list") => "ListBlobs",
            (Put, "undelete") => "RestoreContainer",
            _ => "",
        };
    }
    match (m, comp) {
        (Put, "") => "PutBlob",
        (Get, "") => "GetBlob",
        (Head, "") => "GetBlobProperties",
        (Delete, "") => "DeleteBlob",
        (Put, "block") => "PutBlock",
        (Put, "blocklist") => "PutBlockList",
        (Get, "blocklist") => "GetBlockList",
        (Put, "page") => "PutPage",
        (Get, "pagelist") => "GetPageRegions",
        (Put, "appendblock") => "AppendBlock",
        (Put, "properties") => "SetBlobProperties",
        (Get | Head, "metadata") => "GetBlobMetadata",
        (Put, "metadata") => "SetBlobMetadata",
        (Put, "lease") => "LeaseBlob",
        (Put, "snapshot") => "SnapshotBlob",
        (Put, "copy") => "AbortCopyBlob",
        (Put, "tier") => "SetBlobTier",
        (Get, "tags") => "GetBlobTags",
        (Put, "tags") => "SetBlobTags",
        (Put, "undelete") => "UndeleteBlob",
        _ => "",
    }
}

fn queue(m: Method, segs: &[&str], comp: &str) -> &'static str {
    use Method::*;
    if m == Options {
        return "QueuePreflightRequest";
    }
    match (segs.len(), m, comp) {
        (0, Get, "list") => "ListQueues",
        (1, Put, "") => "CreateQueue",
        (1, Delete, "") => "DeleteQueue",
        (1, Get | Head, "metadata") => "GetQueueMetadata",
        (1, Put, "metadata") => "SetQueueMetadata",
        (2, Post, _) => "PutMessage",
        (2, Get, "") => "GetMessages",
        (2, Get, "peek") | (2, Get, "peekonly") => "PeekMessages",
        (2, Delete, _) => "ClearMessages",
        (3, Delete, _) => "DeleteMessage",
        (3, Put, _) => "UpdateMessage",
        _ => "",
    }
}

fn table(m: Method, segs: &[&str]) -> &'static str {
    use Method::*;
    if m == Options {
        return "TablePreflightRequest";
    }
    let first = segs.first().copied().unwrap_or("");
    if first.starts_with("Tables") {
        return match m {
            Post => "CreateTable",
            Delete => "DeleteTable",
            Get => "QueryTables",
            _ => "",
        };
    }
    if first == "$batch" {
        return "EntityGroupTransaction";
    }
    let has_key = first.contains("PartitionKey=") || first.contains('(') && !first.ends_with("()");
    match (m, has_key) {
        (Get, _) => "QueryEntities",
        (Post, _) => "InsertEntity",
        (Put, true) => "UpdateEntity",
        (Patch | Merge, true) => "MergeEntity",
        (Delete, true) => "DeleteEntity",
        _ => "",
    }
}

fn file(m: Method, depth: usize, comp: &str, restype: &str) -> &'static str {
    use Method::*;
    if m == Options {
        return "FilePreflightRequest";
    }
    if restype == "share" || depth == 1 {
        return match (m, comp) {
            (Put, "") => "CreateShare",
            (Delete, "") => "DeleteShare",
            (Get | Head, "") => "GetShareProperties",
            _ => "",
        };
    }
    if restype == "directory" {
        return match (m, comp) {
            (Put, "") => "CreateDirectory",
            (Delete, "") => "DeleteDirectory",
            (Get, "list") => "ListFilesAndDirectories",
            (Get | Head, "") => "GetDirectoryProperties",
            _ => "",
        };
    }
    match (m, comp) {
        (Put, "") => "CreateFile",
        (Get, "") => "GetFile",
        (Head, "") => "GetFileProperties",
        (Delete, "") => "DeleteFile",
        (Put, "range") => "PutRange",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infers_common_operations() {
        let b = "https://a.blob.core.windows.net";
        assert_eq!(
            infer(Method::Put, &format!("{b}/c?restype=container")),
            "CreateContainer"
        );
        assert_eq!(
            infer(Method::Head, &format!("{b}/c?restype=container")),
            "GetContainerProperties"
        );
        assert_eq!(infer(Method::Put, &format!("{b}/c/x.txt")), "PutBlob");
        assert_eq!(
            infer(Method::Put, &format!("{b}/c/x.txt?comp=block&blockid=1")),
            "PutBlock"
        );
        assert_eq!(
            infer(
                Method::Delete,
                "https://a.table.core.windows.net/t(PartitionKey='a',RowKey='b')"
            ),
            "DeleteEntity"
        );
        assert_eq!(
            infer(Method::Post, "https://a.queue.core.windows.net/q/messages"),
            "PutMessage"
        );
        assert_eq!(
            infer(Method::Put, "http://127.0.0.1:10000/devstoreaccount1/c/b"),
            "PutBlob"
        );
    }
}
