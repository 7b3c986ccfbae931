use super::*;
use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::Compression;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A minimal zip writer for tests: one deflated entry, one stored entry, one folder.
pub(crate) fn make_zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for (name, data, deflate) in entries {
        let body = if *deflate {
            let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if *deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&method.to_le_bytes());
        out.extend_from_slice(&[0; 8]); // time, date, crc
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        cd.extend_from_slice(b"PK\x01\x02");
        cd.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
        cd.extend_from_slice(&method.to_le_bytes());
        cd.extend_from_slice(&[0; 8]);
        cd.extend_from_slice(&(body.len() as u32).to_le_bytes());
        cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
        cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
        cd.extend_from_slice(&[0; 12]);
        cd.extend_from_slice(&offset.to_le_bytes());
        cd.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn gzip_inflates_in_any_slices() {
    let text = b"line one\nline two\n".repeat(500);
    let packed = gz(&text);
    assert_eq!(sniff(&packed), Packing::Gzip);
    for size in [1, 7, 100, packed.len()] {
        let mut inf = Inflater::gzip();
        let mut out = Vec::new();
        for c in packed.chunks(size) {
            inf.feed(c, &mut out);
        }
        inf.finish(&mut out);
        assert_eq!(out, text, "slice {size}");
        assert!(inf.error().is_none());
    }
}

#[test]
fn damaged_gzip_reports_an_error_not_a_panic() {
    let mut packed = gz(b"hello world, hello world, hello world");
    let mid = packed.len() / 2;
    packed[mid] ^= 0xFF;
    packed.truncate(packed.len() - 4);
    let mut inf = Inflater::gzip();
    let mut out = Vec::new();
    inf.feed(&packed, &mut out);
    inf.finish(&mut out);
    assert!(inf.error().is_some());
}

#[test]
fn zip_entries_are_listed_and_read() {
    let zip = make_zip(&[
        ("blob/2024/03/05/0200/000000.log", b"a;b;c\n", true),
        ("readme.txt", b"plain", false),
    ]);
    assert_eq!(sniff(&zip), Packing::Zip);
    let tail_len = (zip.len() as u64).min(ZIP_TAIL_BYTES) as usize;
    let (off, size) =
        find_central_directory(&zip[zip.len() - tail_len..], zip.len() as u64).unwrap();
    let entries = parse_central_directory(&zip[off as usize..(off + size) as usize]).unwrap();
    assert_eq!(entries.len(), 2);
    for (e, want) in entries.iter().zip([&b"a;b;c\n"[..], b"plain"]) {
        let start = e.local_header_offset as usize;
        let data = start + local_data_offset(&zip[start..start + 30]).unwrap() as usize;
        let mut inf = Inflater::zip_method(e.method).unwrap();
        let mut out = Vec::new();
        inf.feed(&zip[data..data + e.compressed_size as usize], &mut out);
        inf.finish(&mut out);
        assert_eq!(out, want);
    }
    assert!(find_central_directory(b"not a zip at all", 16).is_err());
    assert!(parse_central_directory(b"PK\x01\x02short").is_ok());
    assert!(parse_central_directory(&[b'x'; 60]).is_err());
}
