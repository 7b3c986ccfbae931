//! The worker message codec: `serde_wasm_bindgen`, so `File` handles travel by structured clone
//! (the bytes are not copied on the main thread) instead of being encoded.

use gloo_worker::Codec;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

pub struct JsCodec;

impl Codec for JsCodec {
    fn encode<I>(input: I) -> JsValue
    where
        I: Serialize,
    {
        // Messages are our own plain types; failing to encode one is a programming error.
        serde_wasm_bindgen::to_value(&input).expect("worker messages are serializable")
    }

    fn decode<O>(input: JsValue) -> O
    where
        O: for<'de> Deserialize<'de>,
    {
        serde_wasm_bindgen::from_value(input).expect("worker messages come from this build")
    }
}
