use super::*;

/// `input` redacted, and the rules that fired.
fn r(input: &str) -> (String, Tally) {
    let mut tally = Tally::new();
    let out = text(input, &mut tally);
    (out, tally)
}

fn fired(pairs: &[(&str, u64)]) -> Tally {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

/// Asserts the redaction and that redacting again changes nothing.
fn check(input: &str, expected: &str, rules: &[(&str, u64)]) {
    let (out, tally) = r(input);
    assert_eq!(out, expected, "redacting {input:?}");
    assert_eq!(tally, fired(rules), "rules fired on {input:?}");
    let (again, tally) = r(&out);
    assert_eq!(again, out, "idempotent on {input:?}");
    assert!(
        tally.is_empty(),
        "nothing fires twice on {out:?}: {tally:?}"
    );
}

fn unchanged(input: &str) {
    check(input, input, &[]);
}

#[test]
fn every_rule_is_documented_once() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids are unique: {ids:?}");
    assert_eq!(
        ids,
        [
            "private-key",
            "url-password",
            "auth-header",
            "secret-flag",
            "secret-assignment",
            "github-token",
            "gitlab-token",
            "slack-token",
            "aws-access-key-id",
            "jwt"
        ]
    );
}

#[test]
fn url_passwords() {
    check(
        "--database postgres://alice:s3cret-pw@127.0.0.1/db",
        "--database postgres://alice:***@127.0.0.1/db",
        &[("url-password", 1)],
    );
    check(
        "postgres://bob:s3cret@db:5432/x",
        "postgres://bob:***@db:5432/x",
        &[("url-password", 1)],
    );
    // The last @ ends the user info; a query password is an assignment.
    check(
        "see https://u:p@ss@host/p?user=a&password=hunter2&x=1 now",
        "see https://u:***@host/p?user=a&password=***&x=1 now",
        &[("url-password", 1), ("secret-assignment", 1)],
    );
    check(
        "git+https://ghp_abcdefghijklmnopqrstuvwxyz0123456789:x-oauth-basic@github.com/o/r",
        "git+https://ghp_***:***@github.com/o/r",
        &[("url-password", 1), ("github-token", 1)],
    );
    unchanged("postgres://bob@db/x");
    unchanged("https://example.com:8443/path?q=1");
    unchanged("postgres://db/x?user=a");
    unchanged("https://user:@host/");
    unchanged("not a url: a:b@c");
    unchanged("mailto:someone@example.com");
}

#[test]
fn secret_flags() {
    check(
        "app --token abc123 --verbose",
        "app --token *** --verbose",
        &[("secret-flag", 1)],
    );
    check(
        "app --token=abc123",
        "app --token=***",
        &[("secret-flag", 1)],
    );
    check("-password hunter2", "-password ***", &[("secret-flag", 1)]);
    check(
        "x --DB_PASSWORD='a b c' --api-key \"k y\" --client-secret=s",
        "x --DB_PASSWORD='***' --api-key \"***\" --client-secret=***",
        &[("secret-flag", 3)],
    );
    check(
        "openssl rsa -passin pass:xyz",
        "openssl rsa -passin ***",
        &[("secret-flag", 1)],
    );
    unchanged("app --tokenizer x");
    unchanged("app --token-file /run/secrets/t");
    unchanged("app --password-file=/run/p");
    unchanged("app --no-password x");
    unchanged("app --token --verbose");
    unchanged("app --token");
    unchanged("app --token=");
    unchanged("a-token b");
    unchanged("---token x");
}

#[test]
fn secret_flags_in_argument_vectors() {
    let argv: Vec<String> = [
        "app",
        "--token",
        "abc 123",
        "--secret=s",
        "--tokenizer",
        "bpe",
        "--password",
        "--verbose",
        "--api-key",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let mut tally = Tally::new();
    let out = args(&argv, &mut tally);
    assert_eq!(
        out,
        [
            "app",
            "--token",
            "***",
            "--secret=***",
            "--tokenizer",
            "bpe",
            "--password",
            "--verbose",
            "--api-key"
        ]
    );
    assert_eq!(tally, fired(&[("secret-flag", 2)]));
    let mut again = Tally::new();
    assert_eq!(args(&out, &mut again), out);
    assert!(again.is_empty());
}

#[test]
fn secret_assignments() {
    check(
        "API_TOKEN=abc123",
        "API_TOKEN=***",
        &[("secret-assignment", 1)],
    );
    check(
        "env AWS_SECRET_ACCESS_KEY=wJal PASSWORD=x db_password=\"p w\" run",
        "env AWS_SECRET_ACCESS_KEY=*** PASSWORD=*** db_password=\"***\" run",
        &[("secret-assignment", 3)],
    );
    check(
        "Server=db;User Id=sa;Password=p&w;Encrypt=true",
        "Server=db;User Id=sa;Password=***;Encrypt=true",
        &[("secret-assignment", 1)],
    );
    check(
        "spring.datasource.password=pw x-api-key=k",
        "spring.datasource.password=*** x-api-key=***",
        &[("secret-assignment", 2)],
    );
    // Outside a query a value keeps its & and ;.
    check(
        "MY_SECRET=a&b;c d",
        "MY_SECRET=*** d",
        &[("secret-assignment", 1)],
    );
    unchanged("PWD=/home/alice");
    unchanged("KEYBOARD=us TOKENIZER=bpe PATH=/usr/bin");
    unchanged("API_TOKEN=");
    unchanged("MY_KEYS=a");
    unchanged("x==y");
}

#[test]
fn authorization_headers() {
    check(
        "curl -H 'Authorization: Bearer abc.def' https://x",
        "curl -H 'Authorization: Bearer ***' https://x",
        &[("auth-header", 1)],
    );
    check(
        "proxy-authorization:Basic dXNlcjpwYXNz\nnext line",
        "proxy-authorization:Basic ***\nnext line",
        &[("auth-header", 1)],
    );
    check(
        "AUTHORIZATION: sometoken",
        "AUTHORIZATION: ***",
        &[("auth-header", 1)],
    );
    unchanged("Authorization:");
    unchanged("the authorization step failed");
    unchanged("X-Authorization-Mode: strict");
}

#[test]
fn token_shapes() {
    check(
        "t=ghp_abcdefghijklmnopqrstuvwxyz0123456789 ghs_ABCDEFGHIJKLMNOPQRST",
        "t=ghp_*** ghs_***",
        &[("github-token", 2)],
    );
    check(
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "github_pat_***",
        &[("github-token", 1)],
    );
    check(
        "glpat-xxxxxxxxxxxxxxxxxxxx",
        "glpat-***",
        &[("gitlab-token", 1)],
    );
    check(
        "xoxb-1234567890-abcdefghij",
        "xoxb-***",
        &[("slack-token", 1)],
    );
    check(
        "key AKIAIOSFODNN7EXAMPLE, ASIAIOSFODNN7EXAMPLE",
        "key AKIA***, ASIA***",
        &[("aws-access-key-id", 2)],
    );
    let jwt =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    check(&format!("cookie={jwt};"), "cookie=eyJ***;", &[("jwt", 1)]);
    unchanged("ghp_short");
    unchanged("xghp_abcdefghijklmnopqrstuvwxyz0123456789");
    unchanged("glpat-short");
    unchanged("xoxq-1234567890-abcdefghij");
    unchanged("AKIAIOSFODNN7EXAMPLEX AKIAshort XAKIAIOSFODNN7EXAMPLE");
    unchanged("eyJhbGciOiJIUzI1NiJ9 only a header");
    unchanged("eyJhbGciOiJIUzI1NiJ9.notapayload.sig");
}

#[test]
fn private_keys() {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\nqwerty==\n-----END RSA PRIVATE KEY-----";
    check(
        &format!("before\n{pem}\nafter"),
        "before\n-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----\nafter",
        &[("private-key", 1)],
    );
    // Cut short: everything after the BEGIN line goes.
    check(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n***",
        &[("private-key", 1)],
    );
    unchanged("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    unchanged("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----");
}

#[test]
fn json_values_and_bytes() {
    let mut v = serde_json::json!({
        "pid": 7,
        "cmdline": ["sleep", "30", "--database", "postgres://alice:s3cret-pw@127.0.0.1/db", "API_TOKEN=abc123", "--token", "t0k"],
        "notes": [{"text": "Authorization: Bearer zzz"}],
    });
    let mut tally = Tally::new();
    json(&mut v, &mut tally);
    assert_eq!(
        v,
        serde_json::json!({
            "pid": 7,
            "cmdline": ["sleep", "30", "--database", "postgres://alice:***@127.0.0.1/db", "API_TOKEN=***", "--token", "***"],
            "notes": [{"text": "Authorization: Bearer ***"}],
        })
    );
    assert_eq!(
        tally,
        fired(&[
            ("url-password", 1),
            ("secret-assignment", 1),
            ("secret-flag", 1),
            ("auth-header", 1)
        ])
    );
    // Bytes that are not UTF-8 pass through around a redaction.
    let mut tally = Tally::new();
    assert_eq!(
        bytes(b"\xff\xfeTOKEN=x\xff y", &mut tally),
        b"\xff\xfeTOKEN=*** y".to_vec()
    );
    assert_eq!(tally, fired(&[("secret-assignment", 1)]));
}

#[test]
fn linear_on_long_runs() {
    // Long runs of characters that start rules must not make the scan quadratic.
    let input = format!(
        "{}{}{}",
        "a".repeat(200_000),
        "-".repeat(200_000),
        "eyJ.".repeat(50_000)
    );
    let start = std::time::Instant::now();
    let (out, tally) = r(&input);
    assert_eq!(out, input);
    assert!(tally.is_empty());
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
