//! What the CLI tests share: where the fixtures are, and the binary as a test runs it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The binary with no pseudonymisation key, no colours, and the built-in chart font, so
/// that PNG charts are the same on every machine.
pub(crate) fn appraise() -> Command {
    #[allow(clippy::unwrap_used)] // the test binary is always built with the tests
    let mut cmd = Command::cargo_bin("appraise").unwrap();
    cmd.env_remove("APPRAISE_PSEUDONYM_KEY")
        .env("NO_COLOR", "1")
        .env("APPRAISE_FONT", "builtin");
    cmd
}

/// A local TCP port free at the time of asking, for a server a test starts.
pub(crate) fn free_port() -> u16 {
    #[allow(clippy::unwrap_used)] // a machine without loopback cannot run the tests
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    #[allow(clippy::unwrap_used)]
    listener.local_addr().unwrap().port()
}
