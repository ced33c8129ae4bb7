//! Build script: one linker setting for the `billwatch` binary, nothing else.
//!
//! The binary's relative relocations are packed as RELR (`-z pack-relative-relocs`): at start
//! the dynamic loader then reads about 20 KB of relocations instead of 1.4 MB, which takes about
//! 1 MB off every billwatch process's memory and a millisecond off its start (README, "Cost").
//! glibc reads RELR from 2.36 on, and a binary needs at least the glibc it was built against
//! anyway, so it is asked for only where the build machine's glibc is 2.36 or newer (Debian 12,
//! the Docker image's base) and the binary is for that same machine.

use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
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
