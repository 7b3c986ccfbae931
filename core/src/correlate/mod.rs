//! Joining observations: events of one request (client log, HAR, server log) grouped together.
//!
//! A request is keyed first by client request id, then by the service's request id. Events
//! without either stand alone.

use std::collections::HashMap;

use crate::model::Dataset;

/// One request as seen by every source that observed it.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Indices into `Dataset::events`, in time order.
    pub events: Vec<u32>,
}

/// All requests of a dataset.
#[derive(Clone, Debug, Default)]
pub struct Correlation {
    pub requests: Vec<Request>,
    /// For each event, the request it belongs to.
    pub request_of: Vec<u32>,
}

type Key = (bool, [u64; 2]);

impl Correlation {
    pub fn build(ds: &Dataset) -> Correlation {
        let mut by_crid: HashMap<Key, u32> = HashMap::new();
        let mut by_rid: HashMap<Key, u32> = HashMap::new();
        let mut requests: Vec<Request> = Vec::new();
        let mut request_of = vec![0u32; ds.events.len()];
        for v in ds.iter() {
            let crid = v.client_request_key();
            let rid = v.request_key();
            let existing = rid
                .and_then(|k| by_rid.get(&k).copied())
                .or_else(|| crid.and_then(|k| by_crid.get(&k).copied()));
            let r = match existing {
                Some(r) => r,
                None => {
                    requests.push(Request::default());
                    (requests.len() - 1) as u32
                }
            };
            requests[r as usize].events.push(v.index as u32);
            request_of[v.index] = r;
            if let Some(k) = crid {
                by_crid.entry(k).or_insert(r);
            }
            if let Some(k) = rid {
                by_rid.entry(k).or_insert(r);
            }
        }
        Correlation {
            requests,
            request_of,
        }
    }
}
