//! `reverie serve` as an attacker on the same machine would probe it
//! (issue 18), with raw HTTP requests as curl sends them: no token, a stale
//! token, another page's Origin, a DNS-rebound Host, the event stream
//! without a token; then the sign-in URL's cookie and the token file.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Bridge {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(data: &Path, extra: &[&str]) -> Bridge {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(data)
        .arg("serve")
        .args(extra)
        .env_remove("REVERIE_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = child.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0] as char);
    }
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    let token = std::fs::read_to_string(data.join("serve-token"))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        line.contains(&format!("/auth?token={token}")),
        "the sign-in URL carries the token: {line}"
    );
    Bridge { child, port, token }
}

/// Sends one request; returns the status and the whole response text.
fn request(port: u16, head: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let text = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(text.as_bytes()).unwrap();
    let mut response = String::new();
    // Enough for a status line and headers even from the endless event stream.
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                response.push_str(&String::from_utf8_lossy(&buf[..n]));
                if response.contains("\r\n\r\n") && response.contains("text/event-stream") {
                    break;
                }
            }
        }
    }
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

fn post(bridge: &Bridge, method: &str, headers: &str) -> (u16, String) {
    let head = format!("POST /api/{method} HTTP/1.1\r\nContent-Type: application/json{headers}");
    request(bridge.port, &head, "{}")
}

#[test]
fn the_bridge_needs_its_token_the_bound_host_and_the_exact_origin() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // A token from an earlier start must not work after a restart.
    let stale = {
        let first = start(data, &[]);
        first.token.clone()
    };
    let ui = "http://127.0.0.1:5999";
    let b = start(data, &["--ui-origin", ui]);
    assert_ne!(b.token, stale);
    assert_eq!(b.token.len(), 64, "256 bits as hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("serve-token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the token");
    }
    let host = format!("\r\nHost: 127.0.0.1:{}", b.port);
    let bearer = format!("\r\nAuthorization: Bearer {}", b.token);

    // No token, a stale one, a near miss: 401 with a sentence, nothing runs.
    let (status, body) = post(&b, "agents.list", &host);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("needs its token"), "{body}");
    let (status, body) = post(
        &b,
        "agents.list",
        &format!("{host}\r\nAuthorization: Bearer {stale}"),
    );
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("not the current one"), "{body}");
    let mut near = b.token.clone();
    near.replace_range(63.., if near.ends_with('0') { "1" } else { "0" });
    assert_eq!(
        post(
            &b,
            "agents.list",
            &format!("{host}\r\nAuthorization: Bearer {near}")
        )
        .0,
        401
    );
    // The setting that would send the key elsewhere cannot be changed without it.
    let (status, _) = request(
        b.port,
        &format!("POST /api/settings.set HTTP/1.1{host}\r\nContent-Type: application/json"),
        r#"{"key": "provider.anthropic.base_url", "value": "http://127.0.0.1:9"}"#,
    );
    assert_eq!(status, 401);

    // With the token: answered.
    let (status, body) = post(&b, "agents.list", &format!("{host}{bearer}"));
    assert_eq!(status, 200, "{body}");

    // A DNS-rebound page: right token or not, another Host is refused.
    for rebound in ["evil.example:80", "localhost:1", "127.0.0.1"] {
        let (status, body) = post(&b, "agents.list", &format!("\r\nHost: {rebound}{bearer}"));
        assert_eq!(status, 421, "{rebound}: {body}");
    }
    let (status, _) = post(&b, "agents.list", &bearer); // no Host at all
    assert_ne!(status, 200);

    // Another origin, even on loopback or with an odd scheme: 403.
    for origin in [
        "http://evil.example",
        "foo://localhost",
        "http://127.0.0.1:1",
        "http://localhost:5999",
        "https://127.0.0.1:5999",
    ] {
        let (status, body) = post(
            &b,
            "agents.list",
            &format!("{host}{bearer}\r\nOrigin: {origin}"),
        );
        assert_eq!(status, 403, "{origin}: {body}");
        let (status, _) = request(
            b.port,
            &format!(
                "OPTIONS /api/agents.list HTTP/1.1{host}\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST"
            ),
            "",
        );
        assert_eq!(status, 403, "preflight from {origin}");
    }
    // The UI's origin and the bridge's own: allowed, with credentials.
    for origin in [ui.to_string(), format!("http://127.0.0.1:{}", b.port)] {
        let (status, body) = post(
            &b,
            "agents.list",
            &format!("{host}{bearer}\r\nOrigin: {origin}"),
        );
        assert_eq!(status, 200, "{origin}: {body}");
        let lower = body.to_ascii_lowercase();
        assert!(
            lower.contains(&format!("access-control-allow-origin: {origin}")),
            "{body}"
        );
        assert!(
            lower.contains("access-control-allow-credentials: true"),
            "{body}"
        );
    }

    // Server-sent events need the token too.
    let events = |extra: &str| {
        request(
            b.port,
            &format!("GET /api/events HTTP/1.1{host}{extra}\r\nAccept: text/event-stream"),
            "",
        )
    };
    assert_eq!(events("").0, 401);
    assert_eq!(
        events(&format!("\r\nCookie: reverie_bridge_{}={stale}", b.port)).0,
        401
    );
    let (status, body) = events(&bearer);
    assert_eq!(status, 200, "{body}");

    // The sign-in URL: a wrong token sets nothing; the right one sets an
    // HttpOnly, SameSite=Strict cookie and opens the UI.
    let (status, body) = request(
        b.port,
        &format!("GET /auth?token={stale} HTTP/1.1{host}"),
        "",
    );
    assert_eq!(status, 401);
    assert!(!body.to_ascii_lowercase().contains("set-cookie"), "{body}");
    let (status, body) = request(
        b.port,
        &format!("GET /auth?token={} HTTP/1.1{host}", b.token),
        "",
    );
    assert_eq!(status, 303, "{body}");
    let lower = body.to_ascii_lowercase();
    let cookie_line = lower
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {body}"));
    assert!(
        cookie_line.contains("httponly") && cookie_line.contains("samesite=strict"),
        "{cookie_line}"
    );
    assert!(
        lower.contains(&format!(
            "location: {ui}/?bridge=http://127.0.0.1:{}",
            b.port
        )),
        "{body}"
    );
    // A `next` on another site is not followed.
    let (_, body) = request(
        b.port,
        &format!(
            "GET /auth?token={}&next=http://evil.example/ HTTP/1.1{host}",
            b.token
        ),
        "",
    );
    assert!(!body.contains("evil.example"), "{body}");
    // The cookie it set is a credential.
    let cookie = format!("\r\nCookie: other=1; reverie_bridge_{}={}", b.port, b.token);
    let (status, body) = post(
        &b,
        "agents.list",
        &format!("{host}{cookie}\r\nOrigin: {ui}"),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_bridge_can_serve_the_ui_itself_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("dist");
    std::fs::create_dir_all(ui.join("assets")).unwrap();
    std::fs::write(
        ui.join("index.html"),
        "<!doctype html><title>Reverie</title>",
    )
    .unwrap();
    std::fs::write(ui.join("assets/app.js"), "console.log('hi')").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "not for the web").unwrap();
    let data = dir.path().join("data");
    let b = start(&data, &["--ui", ui.to_str().unwrap()]);
    let host = format!("\r\nHost: 127.0.0.1:{}", b.port);

    let (status, body) = request(b.port, &format!("GET / HTTP/1.1{host}"), "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<title>Reverie</title>"));
    let (status, body) = request(b.port, &format!("GET /assets/app.js HTTP/1.1{host}"), "");
    assert_eq!(status, 200);
    assert!(
        body.to_ascii_lowercase()
            .contains("content-type: text/javascript"),
        "{body}"
    );
    for sneaky in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/assets/../../secret.txt",
        "/.hidden",
    ] {
        let (status, body) = request(b.port, &format!("GET {sneaky} HTTP/1.1{host}"), "");
        assert_ne!(status, 200, "{sneaky}: {body}");
        assert!(!body.contains("not for the web"), "{sneaky}");
    }
    // A rebound page cannot even load the UI from it.
    let (status, _) = request(b.port, "GET / HTTP/1.1\r\nHost: evil.example", "");
    assert_eq!(status, 421);
    // The sign-in URL opens the UI the bridge serves, on its own origin.
    let (status, body) = request(
        b.port,
        &format!("GET /auth?token={} HTTP/1.1{host}", b.token),
        "",
    );
    assert_eq!(status, 303);
    let own = format!("http://127.0.0.1:{}", b.port);
    assert!(
        body.to_ascii_lowercase()
            .contains(&format!("location: {own}/?bridge={own}")),
        "{body}"
    );
}
