//! Build script: one linker setting for the `billwatch` binary, and whether the tests on real
//! Parliament responses can run.
//!
//! **Linking.** The binary's relative relocations are packed as RELR (`-z pack-relative-relocs`): at start
//! the dynamic loader then reads about 20 KB of relocations instead of 1.4 MB, which takes about
//! 1 MB off every billwatch process's memory and a millisecond off its start (README, "Cost").
//! glibc reads RELR from 2.36 on, and a binary needs at least the glibc it was built against
//! anyway, so it is asked for only where the build machine's glibc is 2.36 or newer (Debian 12,
//! the Docker image's base) and the binary is for that same machine.
//!
//! **The real fixtures.** Some tests read real Parliament responses from
//! `../shared/fixtures/uk-parliament` (or `$BILLWATCH_SHARED/fixtures/uk-parliament`), which a
//! clone of billwatch alone does not have. A test that returns early when they are missing
//! would pass while asserting nothing, so they are compiled as `#[ignore]`d, with the reason,
//! unless the cfg `shared_fixtures` is set: when the folder is there, or when `CI` is set (CI
//! requires them, so there they run and fail, saying the folder is missing). Their path is
//! handed to the tests as `BILLWATCH_SHARED_FIXTURES`.

use std::path::PathBuf;
use std::process::Command;

/// Where the shared folder is when `BILLWATCH_SHARED` does not say: beside the project.
const SHARED_DEFAULT: &str = "../shared";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    shared_fixtures();
    link_args();
}

/// Sets the cfg `shared_fixtures` when the real-fixture tests must run, and tells them where
/// the fixtures are.
fn shared_fixtures() {
    println!("cargo::rustc-check-cfg=cfg(shared_fixtures)");
    println!("cargo::rerun-if-env-changed=BILLWATCH_SHARED");
    println!("cargo::rerun-if-env-changed=CI");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let shared = std::env::var_os("BILLWATCH_SHARED")
        .map_or_else(|| manifest.join(SHARED_DEFAULT), PathBuf::from);
    let fixtures = shared.join("fixtures").join("uk-parliament");
    println!(
        "cargo::rustc-env=BILLWATCH_SHARED_FIXTURES={}",
        fixtures.display()
    );
    let present = fixtures.is_dir();
    if present {
        // Watching a missing path would rerun this script, and rebuild billwatch, on every
        // build; so a folder added later is noticed on the next change to this file or to
        // BILLWATCH_SHARED (README, "Testing").
        println!("cargo::rerun-if-changed={}", fixtures.display());
    }
    if present || std::env::var_os("CI").is_some() {
        println!("cargo::rustc-cfg=shared_fixtures");
    }
}

/// Packs the binary's relocations as RELR where the build machine's glibc reads them.
fn link_args() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return;
    }
    if glibc_version().is_some_and(|v| v >= (2, 36)) {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// The build machine's glibc version, from `getconf GNU_LIBC_VERSION` ("glibc 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let out = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.trim().strip_prefix("glibc ")?;
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}
