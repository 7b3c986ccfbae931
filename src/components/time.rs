//! Time display: UTC by default (log times are UTC), the browser's zone on request.

/// Formats an ISO 8601 UTC time for display.
pub fn show(iso: &str, local: bool) -> String {
    if !local {
        return iso.replace('T', " ").trim_end_matches('Z').to_string() + " UTC";
    }
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if d.get_time().is_nan() {
        return iso.to_string();
    }
    let ms = d.get_milliseconds();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} local",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds(),
        ms
    )
}
