//! Pseudonymisation of personal data (`applicant_id`): HMAC-SHA-256 under a key that
//! comes from the environment or a key file, never from the data.
//!
//! The same key gives the same pseudonym for the same person across files and runs, so
//! researchers can still count repeat applicants; without the key nobody can reverse it
//! or test a guessed identity against it. With no key the values are dropped.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Error;

/// The environment variable that holds the pseudonymisation key.
pub const KEY_ENV: &str = "APPRAISE_PSEUDONYM_KEY";

/// Keyed hashing of personal identifiers.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(key hidden)")
    }
}

impl Pseudonymiser {
    /// A pseudonymiser under `key` (at least 16 bytes).
    pub fn new(key: &[u8]) -> Result<Self, Error> {
        if key.len() < 16 {
            return Err(Error::Input {
                reason: format!(
                    "the pseudonymisation key has {} bytes; 16 at least are needed",
                    key.len()
                ),
                hint: Some("use a random key, e.g. `openssl rand -hex 32`".into()),
            });
        }
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| Error::Input {
            reason: format!("unusable pseudonymisation key: {e}"),
            hint: None,
        })?;
        Ok(Pseudonymiser { mac })
    }

    /// From a key file (trailing newline ignored) if given, else from
    /// `APPRAISE_PSEUDONYM_KEY`; `None` when neither is set.
    pub fn from_env_or_file(file: Option<&Path>) -> Result<Option<Self>, Error> {
        let key = match file {
            Some(path) => {
                let mut bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
                while bytes.last().is_some_and(|b| b.is_ascii_whitespace()) {
                    bytes.pop();
                }
                bytes
            }
            None => match std::env::var_os(KEY_ENV) {
                Some(v) if !v.is_empty() => v.into_encoded_bytes(),
                _ => return Ok(None),
            },
        };
        Self::new(&key).map(Some)
    }

    /// The pseudonym of one identifier: 64 lowercase hex digits.
    pub fn pseudonym(&self, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_4231_test_vector() {
        // RFC 4231, test case 2 uses a 4-byte key; case 7's key is 131 bytes of 0xaa.
        let key = [0xaa_u8; 131];
        let p = Pseudonymiser::new(&key).unwrap();
        assert_eq!(
            p.pseudonym(
                "This is a test using a larger than block-size key and a larger than \
                 block-size data. The key needs to be hashed before being used by the HMAC \
                 algorithm."
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        );
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(Pseudonymiser::new(b"short").is_err());
    }
}
