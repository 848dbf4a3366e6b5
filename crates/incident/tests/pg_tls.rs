//! The PostgreSQL store over TLS, against the real server of
//! `CVERUN_TEST_POSTGRES_URL` (a superuser connection).
//!
//! The server is given a certificate for `localhost` and `127.0.0.1` signed by a
//! test CA: the test writes the files into the server's data directory with
//! `COPY ... TO` (so the server's own OS user owns them, mode 0600, as PostgreSQL
//! requires of its key file), points `ssl_cert_file`/`ssl_key_file` at them with
//! `ALTER SYSTEM`, sets `ssl = on` and reloads. This runs once per server, under an
//! advisory lock (test processes running at once wait, then find it done), and the
//! CA's certificate is read back from the data directory by every process. Clients
//! without TLS are not affected: `host` lines in pg_hba.conf accept both.
//!
//! Also without a server: `require` against a listener that refuses TLS fails
//! rather than continuing unencrypted.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cverun_incident::{Clock, Keyring, Store};
use postgres::{Client, NoTls};

/// Advisory lock key serialising the server's TLS setup ("cverun" in ASCII, then 2).
const SETUP_LOCK: i64 = 0x6376_6572_756e_0002;
/// The files written into the server's data directory.
const CA_FILE: &str = "cverun-test-tls-ca.pem";
const CERT_FILE: &str = "cverun-test-tls-server.pem";
const KEY_FILE: &str = "cverun-test-tls-server.key";

/// A CA and a server certificate signed by it, in PEM.
struct Issued {
    ca: String,
    cert: String,
    key: String,
}

fn issue(names: &[&str]) -> Issued {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "cverun test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("server params");
    params
        .distinguished_name
        .push(DnType::CommonName, "cverun test server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .expect("server certificate");
    Issued {
        ca: ca.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

/// The test CA's certificate (PEM), once the server at `admin` serves a
/// certificate it signed.
fn server_ca(admin: &str) -> String {
    static CA: OnceLock<String> = OnceLock::new();
    CA.get_or_init(|| {
        let mut lock = Client::connect(admin, NoTls).expect("connect for the TLS setup");
        lock.execute("SELECT pg_advisory_lock($1)", &[&SETUP_LOCK])
            .expect("lock for the TLS setup");
        let ca = setup(admin);
        lock.execute("SELECT pg_advisory_unlock($1)", &[&SETUP_LOCK])
            .expect("unlock after the TLS setup");
        ca
    })
    .clone()
}

/// The server's settings as a new connection sees them.
fn settings(admin: &str) -> (String, String, String) {
    let mut c = Client::connect(admin, NoTls).expect("connect");
    let row = c
        .query_one(
            "SELECT current_setting('ssl'), current_setting('ssl_cert_file'), current_setting('ssl_key_file')",
            &[],
        )
        .expect("read the TLS settings");
    (row.get(0), row.get(1), row.get(2))
}

/// Under the setup lock: installs the test certificate unless it is in place.
fn setup(admin: &str) -> String {
    let mut c = Client::connect(admin, NoTls).expect("connect for the TLS setup");
    let installed = settings(admin) == ("on".into(), CERT_FILE.into(), KEY_FILE.into());
    let ca_present: bool = c
        .query_one(
            // (A record IS NOT NULL only when every field is: ask for one field.)
            "SELECT (pg_stat_file($1, true)).size IS NOT NULL AND (pg_stat_file($2, true)).size IS NOT NULL AND (pg_stat_file($3, true)).size IS NOT NULL",
            &[&CA_FILE, &CERT_FILE, &KEY_FILE],
        )
        .expect("look for the certificate files")
        .get(0);
    if installed && ca_present {
        let ca: String = c
            .query_one("SELECT pg_read_file($1)", &[&CA_FILE])
            .expect("read the test CA")
            .get(0);
        if serves(admin, &ca).is_ok() {
            return ca;
        }
    }
    let issued = issue(&["localhost", "127.0.0.1"]);
    let dir: String = c
        .query_one("SELECT current_setting('data_directory')", &[])
        .expect("the server's data directory")
        .get(0);
    for (name, pem) in [
        (KEY_FILE, &issued.key),
        (CERT_FILE, &issued.cert),
        (CA_FILE, &issued.ca),
    ] {
        write_on_server(&mut c, &format!("{dir}/{name}"), pem);
    }
    // One statement per query: ALTER SYSTEM cannot run in a transaction block.
    for sql in [
        format!("ALTER SYSTEM SET ssl_cert_file = '{CERT_FILE}'"),
        format!("ALTER SYSTEM SET ssl_key_file = '{KEY_FILE}'"),
        "ALTER SYSTEM SET ssl = on".to_owned(),
    ] {
        c.batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    c.execute("SELECT pg_reload_conf()", &[])
        .expect("reload the configuration");
    // The postmaster reloads (and loads the new key) before it starts the next
    // backend that sees the new settings.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = settings(admin);
        let served = serves(admin, &issued.ca);
        if now == ("on".into(), CERT_FILE.into(), KEY_FILE.into()) && served.is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server does not serve the test certificate after a reload (settings {now:?}; {served:?}): see the server's log"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    issued.ca
}

/// Writes `pem` to `path` as the server's OS user, mode 0600 (PostgreSQL refuses a
/// key file that others may read), replacing any older file at once.
fn write_on_server(c: &mut Client, path: &str, pem: &str) {
    let lines: Vec<String> = pem
        .lines()
        .map(|l| {
            assert!(
                l.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "+/= -".contains(ch)),
                "unexpected PEM text {l:?}"
            );
            format!("'{l}'")
        })
        .collect();
    assert!(!path.contains('\''), "data directory with a quote: {path}");
    // COPY ... TO FILE would create the file 0644; a shell run by the server
    // (COPY ... TO PROGRAM) takes the umask given.
    let shell = format!(
        "umask 077 && cat > '{path}.new' && chmod 600 '{path}.new' && mv '{path}.new' '{path}'"
    );
    c.batch_execute(&format!(
        "COPY (SELECT l FROM unnest(ARRAY[{}]::text[]) WITH ORDINALITY AS t(l, n) ORDER BY n) TO PROGRAM '{}'",
        lines.join(","),
        shell.replace('\'', "''")
    ))
    .unwrap_or_else(|e| panic!("write {path} on the server: {e}"));
}

/// Whether the server at `admin` serves a certificate for 127.0.0.1 signed by
/// `ca` (checked with rustls directly, not with the code under test).
fn serves(admin: &str, ca: &str) -> Result<(), String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut config = postgres::Config::from_str(admin).map_err(|e| e.to_string())?;
    config
        .ssl_mode(postgres::config::SslMode::Require)
        .connect_timeout(Duration::from_secs(5));
    config
        .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
        .map(drop)
        .map_err(|e| {
            let mut m = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                m.push_str(&format!(": {s}"));
                source = s.source();
            }
            m
        })
}

/// The test's schema, and how to reach the server over TCP with TLS.
struct Tls {
    pg: support::Postgres,
    ca: String,
    user: String,
    port: u16,
    db: String,
    dir: tempfile::TempDir,
}

impl Tls {
    fn new(test: &str) -> Option<Tls> {
        let pg = support::Postgres::new(test)?;
        let ca = server_ca(&pg.url);
        let config = postgres::Config::from_str(&pg.url).expect("parse the test URL");
        let user = config
            .get_user()
            .expect("the test URL names a user")
            .to_owned();
        assert!(
            config.get_password().is_none(),
            "the TLS tests expect a server without passwords (trust)"
        );
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let db = config.get_dbname().unwrap_or(&user).to_owned();
        Some(Tls {
            pg,
            ca,
            user,
            port,
            db,
            dir: tempfile::tempdir().expect("temporary directory"),
        })
    }

    /// A PEM file in the test's temporary directory.
    fn file(&self, name: &str, pem: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, pem).expect("write a PEM file");
        path
    }

    fn ca_file(&self) -> PathBuf {
        self.file("ca.pem", &self.ca)
    }

    /// The store's URL for `host` (reached at `hostaddr` when given) with `params`.
    fn url(&self, host: &str, hostaddr: Option<&str>, params: &str) -> String {
        let mut url = format!(
            "postgres://{}@{host}:{}/{}?options=-csearch_path%3D{}",
            self.user, self.port, self.db, self.pg.schema
        );
        if let Some(addr) = hostaddr {
            url.push_str(&format!("&hostaddr={addr}"));
        }
        if !params.is_empty() {
            url.push('&');
            url.push_str(params);
        }
        url
    }

    /// Whether the store's own connection is encrypted, and with which protocol.
    fn ssl_of(&self, store: &mut Store) -> (bool, Option<String>) {
        store
            .execute_raw(
                "DROP TABLE IF EXISTS tls_proof; CREATE TABLE tls_proof AS SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            )
            .expect("record the connection's TLS state");
        let mut c = Client::connect(&self.pg.url, NoTls).expect("connect");
        let row = c
            .query_one("SELECT ssl, version FROM tls_proof", &[])
            .expect("read the connection's TLS state");
        (row.get(0), row.get(1))
    }
}

fn path_param(p: &Path) -> String {
    // Percent-encode what a URL query cannot hold as is.
    let mut out = String::new();
    for b in p.to_str().expect("UTF-8 path").bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Opens the store at `url` on the system clock, without a key (the tests only
/// open it, which runs the migrations, and verify an empty store).
fn open(url: &str) -> cverun_incident::Result<Store> {
    Store::postgres(url, Clock::System, Keyring::none())
}

fn open_err(url: &str) -> String {
    match open(url) {
        Ok(_) => panic!("{url}: connected, expected a failure"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn verify_full_with_the_test_ca_connects_over_tls() {
    let Some(t) = Tls::new(cverun_testkit::test_name!()) else {
        return;
    };
    let ca = path_param(&t.ca_file());
    for host in ["127.0.0.1", "localhost"] {
        let url = t.url(host, None, &format!("sslmode=verify-full&sslrootcert={ca}"));
        let mut store = open(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        // Opening the store ran its migrations over this connection.
        assert_eq!(store.verify(None).expect("verify").len(), 0);
        let (ssl, version) = t.ssl_of(&mut store);
        assert!(ssl, "{host}: the store's connection is not encrypted");
        assert!(
            version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
            "{host}: {version:?}"
        );
    }
}

#[test]
fn verify_full_with_another_ca_fails() {
    let Some(t) = Tls::new(cverun_testkit::test_name!()) else {
        return;
    };
    let other = t.file("other-ca.pem", &issue(&["localhost"]).ca);
    let url = t.url(
        "127.0.0.1",
        None,
        &format!("sslmode=verify-full&sslrootcert={}", path_param(&other)),
    );
    let e = open_err(&url);
    assert!(e.contains("cannot connect to the incident store"), "{e}");
    assert!(
        e.contains("does not chain to the certificates in sslrootcert")
            && e.contains("other-ca.pem"),
        "{e}"
    );
    // The built-in Mozilla roots do not include the test CA either.
    let e = open_err(&t.url("127.0.0.1", None, "sslmode=verify-full"));
    assert!(e.contains("the built-in Mozilla root certificates"), "{e}");
}

#[test]
fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let Some(t) = Tls::new(cverun_testkit::test_name!()) else {
        return;
    };
    let ca = path_param(&t.ca_file());
    // The TCP connection goes to 127.0.0.1; the name checked is the host's.
    let url = t.url(
        "not-in-the-certificate.invalid",
        Some("127.0.0.1"),
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let e = open_err(&url);
    assert!(e.contains("does not name the host connected to"), "{e}");
    assert!(e.contains("not-in-the-certificate.invalid"), "{e}");

    let url = t.url(
        "not-in-the-certificate.invalid",
        Some("127.0.0.1"),
        &format!("sslmode=verify-ca&sslrootcert={ca}"),
    );
    let mut store = open(&url).unwrap_or_else(|e| panic!("verify-ca: {e}"));
    assert!(t.ssl_of(&mut store).0);
}

#[test]
fn require_encrypts_without_checking_the_certificate() {
    let Some(t) = Tls::new(cverun_testkit::test_name!()) else {
        return;
    };
    // No sslrootcert, and a host name the certificate does not hold.
    let url = t.url(
        "not-in-the-certificate.invalid",
        Some("127.0.0.1"),
        "sslmode=require",
    );
    let mut store = open(&url).unwrap_or_else(|e| panic!("require: {e}"));
    assert!(t.ssl_of(&mut store).0, "require: not encrypted");
    // With sslrootcert, require checks the chain (as libpq does).
    let other = t.file("other-ca.pem", &issue(&["localhost"]).ca);
    let e = open_err(&t.url(
        "127.0.0.1",
        None,
        &format!("sslmode=require&sslrootcert={}", path_param(&other)),
    ));
    assert!(e.contains("does not chain"), "{e}");
}

#[test]
fn prefer_is_the_default_and_disable_stays_unencrypted() {
    let Some(t) = Tls::new(cverun_testkit::test_name!()) else {
        return;
    };
    let mut store = open(&t.url("127.0.0.1", None, "")).expect("default");
    assert!(t.ssl_of(&mut store).0, "no sslmode: the server offers TLS");
    let mut store = open(&t.url("127.0.0.1", None, "sslmode=prefer")).expect("prefer");
    assert!(t.ssl_of(&mut store).0, "prefer: the server offers TLS");
    let mut store = open(&t.url("127.0.0.1", None, "sslmode=disable")).expect("disable");
    assert!(!t.ssl_of(&mut store).0, "disable: encrypted");
}

#[test]
fn unknown_sslmode_is_a_clear_error_without_the_password() {
    let e = open_err("postgres://alice:s3cret-pw@127.0.0.1:1/db?sslmode=verify-fulll");
    assert!(e.contains("invalid PostgreSQL URL"), "{e}");
    assert!(e.contains("unknown sslmode \"verify-fulll\""), "{e}");
    assert!(e.contains("verify-full"), "{e}");
    assert!(!e.contains("s3cret-pw"), "{e}");
    let e = open_err(
        "postgres://alice:s3cret-pw@127.0.0.1:1/db?sslmode=verify-full&sslrootcert=%2Fnonexistent%2Fca.pem",
    );
    assert!(
        e.contains("cannot read sslrootcert /nonexistent/ca.pem"),
        "{e}"
    );
    assert!(!e.contains("s3cret-pw"), "{e}");
    // Client certificates are not supported: refused, not ignored.
    let e = open_err(
        "postgres://alice:s3cret-pw@127.0.0.1:1/db?sslmode=verify-full&sslcert=client.pem",
    );
    assert!(e.contains("sslcert"), "{e}");
    assert!(!e.contains("s3cret-pw"), "{e}");
}

/// A server that answers the SSLRequest with 'N' (no TLS); reports whether the
/// client then sent anything more (a startup message in plaintext).
fn refusing_server() -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let mut request = [0u8; 8];
        s.read_exact(&mut request).expect("read the SSLRequest");
        // Length 8, code 80877103.
        assert_eq!(request, [0, 0, 0, 8, 4, 210, 22, 47], "not an SSLRequest");
        s.write_all(b"N").expect("answer N");
        let mut after = Vec::new();
        let mut buf = [0u8; 256];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            after.extend_from_slice(&buf[..n]);
            if after.len() >= 8 {
                break;
            }
        }
        after
    });
    (port, handle)
}

#[test]
fn tls_required_never_falls_back_to_plaintext() {
    for mode in ["require", "verify-ca", "verify-full"] {
        let (port, server) = refusing_server();
        let e = open_err(&format!(
            "postgres://alice:s3cret-pw@127.0.0.1:{port}/db?sslmode={mode}&connect_timeout=5"
        ));
        assert!(e.contains("server does not support TLS"), "{mode}: {e}");
        assert!(e.contains("never falls back"), "{mode}: {e}");
        assert!(!e.contains("s3cret-pw"), "{e}");
        let after = server.join().expect("server thread");
        assert!(
            after.is_empty(),
            "{mode}: the client went on unencrypted: {after:?}"
        );
    }
    // prefer does go on unencrypted (documented), which the listener sees.
    let (port, server) = refusing_server();
    let _ = open(&format!(
        "postgres://alice@127.0.0.1:{port}/db?sslmode=prefer&connect_timeout=5"
    ));
    let after = server.join().expect("server thread");
    assert!(after.len() >= 8, "prefer: no startup message after N");
}
