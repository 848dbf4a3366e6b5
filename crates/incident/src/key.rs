//! The incident key: an HMAC-SHA256 key kept outside the database, which
//! authenticates every event, every entry of the store's log and every head.
//!
//! A key is at least 32 bytes, written as hex or base64. Its id is the first 16 hex
//! digits of SHA-256 over the tag `cverun.incident-key-id/1` and the key, stored
//! beside each MAC so that verification knows which key of a [`Keyring`] to use
//! (after a rotation, old keys stay in the ring for verification; new records are
//! signed with the current key).
//!
//! [`Keyring::load`] is the I/O edge: `CVERUN_INCIDENT_KEY`, else
//! `CVERUN_INCIDENT_KEY_FILE`, else `<state>/incident.key` (created with mode 0600
//! on the first write when asked to); old keys from the files listed in
//! `CVERUN_INCIDENT_OLD_KEYS`.

use std::io::Read;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::chain::hex;
use crate::error::{Error, Result};

/// The fewest bytes a key may have.
pub const MIN_KEY_BYTES: usize = 32;

/// The key file in the state directory.
pub const KEY_FILE: &str = "incident.key";

/// The environment variable holding the key itself (hex or base64).
pub const ENV_KEY: &str = "CVERUN_INCIDENT_KEY";
/// The environment variable naming the key file.
pub const ENV_KEY_FILE: &str = "CVERUN_INCIDENT_KEY_FILE";
/// The environment variable listing old key files (kept for verification).
pub const ENV_OLD_KEYS: &str = "CVERUN_INCIDENT_OLD_KEYS";

/// One secret key. Its bytes are never printed (`Debug` shows the id only).
#[derive(Clone)]
pub struct Key {
    id: String,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.id)
    }
}

/// What checking a MAC found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MacCheck {
    /// The MAC is valid under the key it names.
    Valid,
    /// No MAC was stored.
    Missing,
    /// The key it names is not in the ring.
    UnknownKey(String),
    /// The MAC does not match under the key it names.
    Forged,
}

impl Key {
    /// A key from its bytes (at least [`MIN_KEY_BYTES`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Key> {
        if bytes.len() < MIN_KEY_BYTES {
            return Err(Error::Refused(format!(
                "an incident key must be at least {MIN_KEY_BYTES} bytes (64 hex digits), this one has {}",
                bytes.len()
            )));
        }
        let mut h = Sha256::new();
        h.update(b"cverun.incident-key-id/1");
        h.update(&bytes);
        let id = hex(&h.finalize())[..16].to_owned();
        Ok(Key { id, bytes })
    }

    /// A key written as hex or base64 (surrounding whitespace ignored). `source`
    /// names where it comes from, for messages (which never contain the key).
    pub fn parse(text: &str, source: &str) -> Result<Key> {
        let t = text.trim();
        let bytes = if !t.is_empty() && t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit())
        {
            unhex(t).ok_or_else(|| Error::Refused(format!("{source}: not a hex key")))?
        } else {
            use base64::Engine;
            let engines = [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::STANDARD_NO_PAD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            engines
                .iter()
                .find_map(|e| e.decode(t).ok())
                .ok_or_else(|| {
                    Error::Refused(format!(
                        "{source}: the incident key is neither hex nor base64"
                    ))
                })?
        };
        Key::from_bytes(bytes).map_err(|e| Error::Refused(format!("{source}: {e}")))
    }

    /// A new random key (32 bytes from the operating system's generator).
    pub fn generate() -> Result<Key> {
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(|e| Error::Io(format!("cannot read random bytes for a new key: {e}")))?;
        Key::from_bytes(bytes)
    }

    /// The key's id (16 hex digits).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn hmac(&self) -> Hmac<Sha256> {
        match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.bytes) {
            Ok(m) => m,
            // HMAC takes keys of any length.
            Err(e) => unreachable!("HMAC refused a key: {e}"),
        }
    }

    /// The MAC (hex) of `parts`, each prefixed by its length as 8 bytes big-endian.
    pub fn mac(&self, parts: &[&[u8]]) -> String {
        let mut m = self.hmac();
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        hex(&m.finalize().into_bytes())
    }

    /// Whether `mac` (hex) is the MAC of `parts` (compared in constant time).
    pub fn check(&self, parts: &[&[u8]], mac: &str) -> bool {
        let Some(given) = unhex(mac) else {
            return false;
        };
        let mut m = self.hmac();
        for p in parts {
            m.update(&(p.len() as u64).to_be_bytes());
            m.update(p);
        }
        m.verify_slice(&given).is_ok()
    }
}

/// The keys a store is used with: the current one (signs new records) and old
/// ones (verify records signed before a rotation).
#[derive(Clone, Debug, Default)]
pub struct Keyring {
    current: Option<Key>,
    old: Vec<Key>,
    /// Where the current key is read from, for messages.
    source: Option<String>,
}

impl Keyring {
    /// No key at all: nothing can be written, nothing authenticates.
    pub fn none() -> Keyring {
        Keyring::default()
    }

    /// A ring with `current` signing and `old` verifying.
    pub fn new(current: Option<Key>, old: Vec<Key>) -> Keyring {
        Keyring {
            current,
            old,
            source: None,
        }
    }

    /// The signing key.
    pub fn current(&self) -> Option<&Key> {
        self.current.as_ref()
    }

    /// Where the current key comes from (`CVERUN_INCIDENT_KEY`, a file), when known.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Whether the ring holds no key.
    pub fn is_empty(&self) -> bool {
        self.current.is_none() && self.old.is_empty()
    }

    /// Every key, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &Key> {
        self.current.iter().chain(self.old.iter())
    }

    /// The key with id `id`.
    pub fn get(&self, id: &str) -> Option<&Key> {
        self.all().find(|k| k.id == id)
    }

    /// Checks `mac` over `parts` under the key named `key_id`.
    pub fn check(&self, key_id: Option<&str>, mac: Option<&str>, parts: &[&[u8]]) -> MacCheck {
        let (Some(id), Some(mac)) = (key_id, mac) else {
            return MacCheck::Missing;
        };
        match self.get(id) {
            None => MacCheck::UnknownKey(id.to_owned()),
            Some(k) if k.check(parts, mac) => MacCheck::Valid,
            Some(_) => MacCheck::Forged,
        }
    }

    /// Whether any key of the ring made `mac` over `parts`.
    pub fn check_any(&self, mac: &str, parts: &[&[u8]]) -> bool {
        self.all().any(|k| k.check(parts, mac))
    }

    /// The ring from the environment and the state directory: the current key from
    /// `CVERUN_INCIDENT_KEY`, else the file `CVERUN_INCIDENT_KEY_FILE`, else
    /// `<state_dir>/incident.key`; with `create`, that last file is created (mode
    /// 0600, its directory 0700) when it does not exist. Old keys: the files
    /// listed in `CVERUN_INCIDENT_OLD_KEYS` (separated like `PATH`).
    pub fn load(state_dir: &Path, create: bool) -> Result<Keyring> {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        let mut ring = Keyring::none();
        if let Some(k) = var(ENV_KEY) {
            ring.current = Some(Key::parse(&k, ENV_KEY)?);
            ring.source = Some(ENV_KEY.to_owned());
        } else if let Some(f) = var(ENV_KEY_FILE) {
            let p = PathBuf::from(f);
            ring.current = Some(read_key_file(&p)?);
            ring.source = Some(format!("{ENV_KEY_FILE}={}", p.display()));
        } else {
            let p = state_dir.join(KEY_FILE);
            ring.source = Some(p.display().to_string());
            if p.exists() {
                ring.current = Some(read_key_file(&p)?);
            } else if create {
                ring.current = Some(create_key_file(&p)?);
            }
        }
        if let Some(list) = std::env::var_os(ENV_OLD_KEYS) {
            for p in std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()) {
                let k = read_key_file(&p)?;
                if ring.get(k.id()).is_none() {
                    ring.old.push(k);
                }
            }
        }
        Ok(ring)
    }
}

/// Reads a key file (hex or base64 text).
pub fn read_key_file(path: &Path) -> Result<Key> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Io(format!(
            "cannot read the incident key {}: {e}",
            path.display()
        ))
    })?;
    Key::parse(&text, &path.display().to_string())
}

/// Creates a new random key at `path` (mode 0600; its directory created 0700),
/// atomically: when another process created it first, that key is used.
pub fn create_key_file(path: &Path) -> Result<Key> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::store::create_private_dir(dir)?;
    let key = Key::generate()?;
    // tempfile creates the file with mode 0600.
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::Io(format!("cannot create a key in {}: {e}", dir.display())))?;
    use std::io::Write;
    writeln!(tmp, "{}", hex(&key.bytes))
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::Io(format!("cannot write a key in {}: {e}", dir.display())))?;
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(key),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path),
        Err(e) => Err(Error::Io(format!(
            "cannot create the incident key {}: {}",
            path.display(),
            e.error
        ))),
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_and_base64_and_must_be_long_enough() {
        let hexkey = "ab".repeat(32);
        let a = Key::parse(&hexkey, "test").unwrap();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode([0xabu8; 32]);
        let b = Key::parse(&format!("  {b64}\n"), "test").unwrap();
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
        let e = Key::parse(&"ab".repeat(31), "K").unwrap_err().to_string();
        assert!(
            e.contains("at least 32 bytes") && e.starts_with("K: "),
            "{e}"
        );
        assert!(!e.contains("abab"), "{e}");
        let e = Key::parse("not a key!", "K").unwrap_err().to_string();
        assert!(e.contains("neither hex nor base64"), "{e}");
        assert_eq!(format!("{a:?}"), format!("Key({})", a.id()));
    }

    #[test]
    fn macs_bind_every_part_and_the_key() {
        let k = Key::from_bytes(vec![7; 32]).unwrap();
        let other = Key::from_bytes(vec![8; 32]).unwrap();
        let m = k.mac(&[b"ab", b"c"]);
        assert!(k.check(&[b"ab", b"c"], &m));
        assert!(
            !k.check(&[b"a", b"bc"], &m),
            "length prefixes separate parts"
        );
        assert!(!other.check(&[b"ab", b"c"], &m));
        assert!(!k.check(&[b"ab", b"c"], "zz"));
        let ring = Keyring::new(Some(other.clone()), vec![k.clone()]);
        assert_eq!(
            ring.check(Some(k.id()), Some(&m), &[b"ab", b"c"]),
            MacCheck::Valid
        );
        assert_eq!(
            ring.check(Some(other.id()), Some(&m), &[b"ab", b"c"]),
            MacCheck::Forged
        );
        assert_eq!(
            Keyring::new(Some(other), vec![]).check(Some(k.id()), Some(&m), &[b"ab", b"c"]),
            MacCheck::UnknownKey(k.id().to_owned())
        );
        assert_eq!(ring.check(None, None, &[]), MacCheck::Missing);
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Key::generate().unwrap().id(), Key::generate().unwrap().id());
    }
}
