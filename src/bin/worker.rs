//! Entry point of the ingest Web Worker (built by Trunk as `worker.js` + `worker_bg.wasm`).

use gloo_worker::Registrable;
use storage_doctor::codec::JsCodec;
use storage_doctor::worker::IngestWorker;

fn main() {
    IngestWorker::registrar().encoding::<JsCodec>().register();
}
