//! TLS for the PostgreSQL store, with rustls: the `sslmode` and `sslrootcert`
//! parameters of the store's URL, read the way libpq reads them.
//!
//! The `postgres` crate's own URL parser knows only `disable`, `prefer` and
//! `require`, and no `sslrootcert`: [`Settings::take`] removes both parameters
//! from the URL before the rest of it is handed over, and the connection's TLS
//! mode is then set from the settings.
//!
//! | sslmode | TLS | certificate checked |
//! | --- | --- | --- |
//! | `disable` | never | - |
//! | `prefer` (default) | when the server offers it, else unencrypted | no; with `sslrootcert`, the chain (as `verify-ca`) |
//! | `require` | always | no; with `sslrootcert`, the chain (as `verify-ca`, as libpq does) |
//! | `verify-ca` | always | the chain, to `sslrootcert` or the built-in roots |
//! | `verify-full` | always | the chain and the host name |
//!
//! Without `sslrootcert`, `verify-ca` and `verify-full` trust the Mozilla root
//! certificates built into cverun (`webpki-roots`), not the operating system's store.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values that cverun supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl Mode {
    fn parse(value: &str) -> Result<Mode, String> {
        Ok(match value {
            "disable" => Mode::Disable,
            "prefer" => Mode::Prefer,
            "require" => Mode::Require,
            "verify-ca" => Mode::VerifyCa,
            "verify-full" => Mode::VerifyFull,
            "allow" => {
                return Err(
                    "sslmode=allow is not supported: use prefer (TLS when the server offers it) or disable"
                        .into(),
                );
            }
            other => {
                return Err(format!(
                    "unknown sslmode {other:?}: expected disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Disable => "disable",
            Mode::Prefer => "prefer",
            Mode::Require => "require",
            Mode::VerifyCa => "verify-ca",
            Mode::VerifyFull => "verify-full",
        }
    }

    /// Whether the connection must be encrypted (no unencrypted fallback).
    fn required(self) -> bool {
        matches!(self, Mode::Require | Mode::VerifyCa | Mode::VerifyFull)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the URL asks of TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `sslmode`, when the URL gives it (else the `postgres` crate's reading of a
    /// key=value string, else `prefer`).
    mode: Option<Mode>,
    /// `sslrootcert`: a PEM file of trusted root certificates.
    root_cert: Option<PathBuf>,
}

/// How the server's certificate is checked.
enum Check {
    /// Not at all (the handshake still proves the server holds the key of the
    /// certificate it shows, so the traffic is encrypted, but to anyone).
    Nothing,
    /// The chain to a trusted root, not the host name.
    Chain(Arc<RootCertStore>),
    /// The chain and the host name.
    Full(Arc<RootCertStore>),
}

impl Settings {
    /// Takes `sslmode` and `sslrootcert` out of a `postgres://` or
    /// `postgresql://` URL's query: returns the URL without them, and the settings.
    /// Any other form (a `key=value` string) is returned unchanged with no settings.
    pub(crate) fn take(url: &str) -> Result<(String, Settings), String> {
        let mut settings = Settings {
            mode: None,
            root_cert: None,
        };
        let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
            return Ok((url.to_owned(), settings));
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key)?.as_str() {
                "sslmode" => {
                    if settings.mode.is_some() {
                        return Err("sslmode is given more than once".into());
                    }
                    settings.mode = Some(Mode::parse(&decode(value)?)?);
                }
                "sslrootcert" => {
                    if settings.root_cert.is_some() {
                        return Err("sslrootcert is given more than once".into());
                    }
                    let value = decode(value)?;
                    if value.is_empty() {
                        return Err("sslrootcert is empty: give the path of a PEM file of root certificates".into());
                    }
                    if value == "system" {
                        return Err("sslrootcert=system (the operating system's certificate store) is not supported: give the path of a PEM file of root certificates, or leave sslrootcert out to trust the built-in Mozilla roots".into());
                    }
                    settings.root_cert = Some(PathBuf::from(value));
                }
                _ => kept.push(pair),
            }
        }
        if settings.mode == Some(Mode::Disable) && settings.root_cert.is_some() {
            return Err("sslrootcert is given with sslmode=disable, which never uses TLS: remove one of them".into());
        }
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok((rest, settings))
    }

    /// The mode in force, given the `postgres` crate's reading of the rest of the
    /// connection string (which sees `sslmode` only in a `key=value` string).
    pub(crate) fn mode(&self, parsed: postgres::config::SslMode) -> Mode {
        self.mode.unwrap_or(match parsed {
            postgres::config::SslMode::Disable => Mode::Disable,
            postgres::config::SslMode::Require => Mode::Require,
            _ => Mode::Prefer,
        })
    }

    /// The `postgres` crate's mode for `mode`: it enforces "no unencrypted
    /// fallback" (`Require`) for every mode that needs TLS.
    pub(crate) fn postgres_mode(mode: Mode) -> postgres::config::SslMode {
        match mode {
            Mode::Disable => postgres::config::SslMode::Disable,
            Mode::Prefer => postgres::config::SslMode::Prefer,
            Mode::Require | Mode::VerifyCa | Mode::VerifyFull => postgres::config::SslMode::Require,
        }
    }

    /// The TLS connector for `mode`: reads `sslrootcert` when given.
    pub(crate) fn connector(&self, mode: Mode) -> Result<MakeRustlsConnect, String> {
        let check = match (mode, &self.root_cert) {
            (Mode::Disable | Mode::Prefer | Mode::Require, None) => Check::Nothing,
            (Mode::VerifyFull, root) => Check::Full(roots(root.as_deref())?),
            (_, root) => Check::Chain(roots(root.as_deref())?),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let algs = provider.signature_verification_algorithms;
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
        let config = match check {
            Check::Full(roots) => builder.with_root_certificates(roots).with_no_client_auth(),
            Check::Chain(roots) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient {
                    roots: Some(roots),
                    algs,
                }))
                .with_no_client_auth(),
            Check::Nothing => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient { roots: None, algs }))
                .with_no_client_auth(),
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// A sentence to add to a failed connection's message, when TLS explains it.
    pub(crate) fn explain(&self, mode: Mode, e: &postgres::Error) -> Option<String> {
        let roots = match &self.root_cert {
            Some(path) => format!("the certificates in sslrootcert {}", path.display()),
            None => "the built-in Mozilla root certificates (no sslrootcert given)".into(),
        };
        if let Some(tls) = rustls_error(e) {
            return Some(match tls {
                rustls::Error::InvalidCertificate(c) => match c {
                    CertificateError::UnknownIssuer | CertificateError::BadSignature => format!(
                        "the server's certificate does not chain to {roots} (sslmode={mode})"
                    ),
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. } => format!(
                        "the server's certificate does not name the host connected to (sslmode={mode} checks the host name; verify-ca does not)"
                    ),
                    CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. } => format!(
                        "the server's certificate is expired or not yet valid (sslmode={mode})"
                    ),
                    _ => format!("the server's certificate was rejected (sslmode={mode})"),
                },
                _ => format!("the TLS handshake failed (sslmode={mode})"),
            });
        }
        if mode.required() && message_chain(e).contains("server does not support TLS") {
            return Some(format!(
                "the server does not accept TLS, and sslmode={mode} never falls back to an unencrypted connection"
            ));
        }
        None
    }
}

/// The trusted roots: the PEM certificates in `path`, or the built-in Mozilla roots.
fn roots(path: Option<&Path>) -> Result<Arc<RootCertStore>, String> {
    let Some(path) = path else {
        return Ok(Arc::new(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        }));
    };
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("cannot read sslrootcert {shown}: {e}"))?;
    let mut store = RootCertStore::empty();
    for (i, cert) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let cert = cert.map_err(|e| format!("sslrootcert {shown}: certificate {}: {e}", i + 1))?;
        store.add(cert).map_err(|e| {
            format!(
                "sslrootcert {shown}: certificate {} cannot be a trusted root: {e}",
                i + 1
            )
        })?;
    }
    if store.is_empty() {
        return Err(format!(
            "sslrootcert {shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(Arc::new(store))
}

/// Percent-decodes a URL query key or value (as the `postgres` crate does: `+`
/// stays `+`).
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("invalid percent-encoding in the URL's parameters")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL's parameters are not UTF-8 once decoded".into())
}

/// The rustls error behind a failed connection, if any.
fn rustls_error(e: &postgres::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(inner) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(inner);
        }
        source = s.source();
    }
    None
}

fn message_chain(e: &postgres::Error) -> String {
    let mut m = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        m.push_str(&format!(": {s}"));
        source = s.source();
    }
    m
}

/// A verifier for the modes the stock one does not cover: with `roots`, it checks
/// the chain to a trusted root but not the host name (`verify-ca`); without, it
/// accepts any certificate (`prefer` and `require` without `sslrootcert`, as
/// libpq). Either way the handshake's signatures are checked against the
/// certificate shown, so the connection is encrypted; without roots it is not
/// authenticated.
#[derive(Debug)]
struct Lenient {
    roots: Option<Arc<RootCertStore>>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algs.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(url: &str) -> Result<(String, Settings), String> {
        Settings::take(url)
    }

    #[test]
    fn modes_and_root_cert_are_taken_out_of_the_url() {
        let (rest, s) =
            take("postgres://u@db:5432/x?application_name=a&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20b.pem&connect_timeout=3")
                .unwrap();
        assert_eq!(
            rest,
            "postgres://u@db:5432/x?application_name=a&connect_timeout=3"
        );
        assert_eq!(s.mode, Some(Mode::VerifyFull));
        assert_eq!(s.root_cert, Some(PathBuf::from("/etc/ca b.pem")));

        let (rest, s) = take("postgresql://u@db/x?sslmode=verify-ca").unwrap();
        assert_eq!(rest, "postgresql://u@db/x");
        assert_eq!(s.mode, Some(Mode::VerifyCa));
        assert_eq!(s.root_cert, None);

        for (value, mode) in [
            ("disable", Mode::Disable),
            ("prefer", Mode::Prefer),
            ("require", Mode::Require),
        ] {
            let (_, s) = take(&format!("postgres://db/x?sslmode={value}")).unwrap();
            assert_eq!(s.mode, Some(mode));
        }
    }

    #[test]
    fn no_query_and_key_value_strings_pass_unchanged() {
        let (rest, s) = take("postgres://u@db/x").unwrap();
        assert_eq!(rest, "postgres://u@db/x");
        assert_eq!(s.mode, None);
        let kv = "host=db user=u sslmode=require";
        let (rest, s) = take(kv).unwrap();
        assert_eq!(rest, kv);
        assert_eq!(s.mode(postgres::config::SslMode::Require), Mode::Require);
        let (_, s) = take("postgres://u@db/x").unwrap();
        assert_eq!(s.mode(postgres::config::SslMode::Prefer), Mode::Prefer);
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let e = take("postgres://db/x?sslmode=verify_full").unwrap_err();
        assert!(e.contains("unknown sslmode \"verify_full\""), "{e}");
        assert!(e.contains("verify-full"), "{e}");
        let e = take("postgres://db/x?sslmode=allow").unwrap_err();
        assert!(e.contains("allow is not supported"), "{e}");
        let e = take("postgres://db/x?sslmode=require&sslmode=disable").unwrap_err();
        assert!(e.contains("more than once"), "{e}");
        let e = take("postgres://db/x?sslrootcert=").unwrap_err();
        assert!(e.contains("sslrootcert is empty"), "{e}");
        let e = take("postgres://db/x?sslrootcert=system").unwrap_err();
        assert!(e.contains("not supported"), "{e}");
        let e = take("postgres://db/x?sslmode=disable&sslrootcert=ca.pem").unwrap_err();
        assert!(e.contains("sslmode=disable"), "{e}");
        let e = take("postgres://db/x?sslmode=%zz").unwrap_err();
        assert!(e.contains("percent-encoding"), "{e}");
    }

    #[test]
    fn modes_needing_tls_never_fall_back() {
        use postgres::config::SslMode;
        assert_eq!(Settings::postgres_mode(Mode::Disable), SslMode::Disable);
        assert_eq!(Settings::postgres_mode(Mode::Prefer), SslMode::Prefer);
        for m in [Mode::Require, Mode::VerifyCa, Mode::VerifyFull] {
            assert!(m.required());
            assert_eq!(Settings::postgres_mode(m), SslMode::Require);
        }
    }

    #[test]
    fn root_cert_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let s = |p: &Path| Settings {
            mode: Some(Mode::VerifyFull),
            root_cert: Some(p.to_owned()),
        };
        let missing = dir.path().join("missing.pem");
        let e = s(&missing).connector(Mode::VerifyFull).err().unwrap();
        assert!(
            e.contains("cannot read sslrootcert") && e.contains("missing.pem"),
            "{e}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = s(&empty).connector(Mode::VerifyFull).err().unwrap();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = s(&bad).connector(Mode::VerifyCa).err().unwrap();
        assert!(e.contains("certificate 1"), "{e}");
        // The built-in roots need no file.
        let builtin = Settings {
            mode: Some(Mode::VerifyFull),
            root_cert: None,
        };
        assert!(builtin.connector(Mode::VerifyFull).is_ok());
        assert!(builtin.connector(Mode::Require).is_ok());
    }
}
