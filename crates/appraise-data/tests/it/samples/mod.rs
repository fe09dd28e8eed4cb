//! Where the real X-Road samples are: `../shared/xroad/` beside the repository, or the
//! folder `APPRAISE_XROAD_SAMPLES` names. They are read there, never copied into the
//! project. Shared by the X-Road tests of `appraise-data` and `appraise-cli`.

use std::path::{Path, PathBuf};

pub(crate) fn samples() -> PathBuf {
    let candidates = [
        std::env::var_os("APPRAISE_XROAD_SAMPLES").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/xroad")),
        Some(PathBuf::from("/work/shared/xroad")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("raw_messages_batch_1.json").is_file())
        .expect(
            "the X-Road samples: ../shared/xroad beside the repository, or APPRAISE_XROAD_SAMPLES",
        )
}
