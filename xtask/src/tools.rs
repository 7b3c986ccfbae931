//! Installing the tools the build and the tests need, each only when missing or at the wrong
//! version, so a second run takes seconds.
//!
//! Everything comes from the package registries these machines reach: crates.io (`cargo
//! install`), npm (`npm ci`) and Debian (`apt-get`). Nothing downloads a prebuilt binary.

use std::path::PathBuf;
use std::process::Command;

use crate::{root, run};

pub const TRUNK_VERSION: &str = "0.22.1";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub fn cargo_home() -> PathBuf {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cargo")
}

pub fn cargo_bin(name: &str) -> PathBuf {
    cargo_home().join("bin").join(name)
}

/// PATH with `node_modules/.bin` (wasm-opt from binaryen) and `$CARGO_HOME/bin` first.
pub fn path_with_tools() -> std::ffi::OsString {
    let mut parts = vec![root().join("node_modules/.bin"), cargo_home().join("bin")];
    if let Some(p) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(parts).expect("PATH entries are valid")
}

/// The exact wasm-bindgen version in Cargo.lock: the CLI must match it to the letter.
pub fn wasm_bindgen_version() -> Option<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).ok()?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            let v = lines.next()?.trim();
            return v
                .strip_prefix("version = \"")?
                .strip_suffix('"')
                .map(str::to_string);
        }
    }
    None
}

fn version_of(bin: &PathBuf) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn ensure_cargo_tool(bin: &str, version: &str, install: &[&str]) -> bool {
    let path = cargo_bin(bin);
    if let Some(v) = version_of(&path) {
        if v.split_whitespace().any(|w| w == version) {
            eprintln!("xtask: {bin} {version} is installed");
            return true;
        }
        eprintln!("xtask: {bin} is {v}, need {version}: reinstalling");
    } else {
        eprintln!("xtask: installing {bin} {version} (once; this can take many minutes)");
    }
    run(Command::new("cargo").arg("install").args(install))
}

fn ensure_wasm_target() -> bool {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    if let Ok(o) = &out {
        if String::from_utf8_lossy(&o.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-unknown-unknown")
        {
            return true;
        }
    }
    // RUSTUP_AUTO_INSTALL=0 on these machines: nothing adds the target by itself.
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// `npm ci` when `package-lock.json` changed since the last install.
fn ensure_npm() -> bool {
    let lock = match std::fs::read(root().join("package-lock.json")) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("xtask: package-lock.json: {e}");
            return false;
        }
    };
    let stamp = root().join("node_modules/.xtask-installed");
    let want = format!("{:x}", fnv(&lock));
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str())
        && root().join("node_modules/.bin/wasm-opt").exists()
    {
        eprintln!("xtask: npm packages are installed");
        return true;
    }
    let ok = run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"]));
    if ok {
        let _ = std::fs::write(stamp, want);
    }
    ok
}

fn fnv(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
        (h ^ *c as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Debian's chromium and chromium-driver (installed only on Debian as root).
fn ensure_chromium() -> bool {
    let have = |p: &str| std::path::Path::new(p).exists();
    if have(CHROMIUM) && have(CHROMEDRIVER) {
        eprintln!("xtask: chromium and chromedriver are installed");
        return true;
    }
    let debian = std::path::Path::new("/etc/debian_version").exists();
    if debian && is_root() {
        eprintln!("xtask: installing chromium and chromium-driver from Debian");
        return run(Command::new("apt-get").arg("update"))
            && run(Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "chromium",
                    "chromium-driver",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive"));
    }
    eprintln!(
        "xtask: the browser tests need Chromium and ChromeDriver at {CHROMIUM} and {CHROMEDRIVER}.\n\
         On Debian/Ubuntu: sudo apt-get update && sudo apt-get install chromium chromium-driver"
    );
    false
}

/// Installs everything the build needs, and the browser when `browser` is set.
pub fn ensure_all(browser: bool) -> bool {
    let Some(wb) = wasm_bindgen_version() else {
        eprintln!("xtask: no wasm-bindgen in Cargo.lock");
        return false;
    };
    let mut ok = ensure_wasm_target();
    ok &= ensure_npm();
    ok &= ensure_cargo_tool(
        "wasm-bindgen",
        &wb,
        // Not --locked: one of its locked dependencies is not served by the registry here.
        &["wasm-bindgen-cli", "--version", &wb],
    );
    ok &= ensure_cargo_tool(
        "trunk",
        TRUNK_VERSION,
        // Trunk 0.22.1 declares rust 1.96.1 but builds and works on the installed 1.95.
        &[
            "trunk",
            "--version",
            TRUNK_VERSION,
            "--locked",
            "--ignore-rust-version",
        ],
    );
    if browser {
        ok &= ensure_chromium();
    }
    ok
}
