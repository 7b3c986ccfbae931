use super::*;

#[test]
fn an_extras_list_is_reused_empty_in_the_same_memory() {
    let line = String::from("203.0.113.7;agent/1.0");
    let mut extras: Vec<(Field, Cow<'_, str>)> = Vec::with_capacity(3);
    extras.push((Field::CallerIp, Cow::Borrowed(&line[..11])));
    extras.push((Field::UserAgent, Cow::Owned("decoded &".to_string())));
    let (at, capacity) = (extras.as_ptr() as usize, extras.capacity());
    let mut next = reuse_extras(extras);
    drop(line);
    assert!(next.is_empty());
    assert_eq!((next.as_ptr() as usize, next.capacity()), (at, capacity));
    // The reused list takes the next line's texts, and grows as any list does.
    let other = String::from("x-ms-version");
    for _ in 0..5 {
        next.push((Field::XmsVersion, Cow::Borrowed(other.as_str())));
    }
    assert_eq!(next.len(), 5);
    assert!(next.iter().all(|(_, v)| v == "x-ms-version"));
}
