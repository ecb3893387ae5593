//! An alert receiver on 127.0.0.1: records every request's method, path and
//! body, and answers each with a status the test chose (200 by default).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `POST`, …
    pub method: String,
    /// The path, e.g. `/hooks/misar`.
    pub path: String,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body.
    pub body: String,
}

/// The running receiver.
pub struct Webhook {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<Mutex<u16>>,
}

impl Webhook {
    /// Start on `127.0.0.1:0`.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(200));
        let (g, s) = (got.clone(), status.clone());
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (g, s) = (g.clone(), s.clone());
                thread::spawn(move || handle(conn, &g, &s));
            }
        });
        Self { addr, got, status }
    }

    /// The URL to give `--alert-webhook`.
    pub fn url(&self) -> String {
        format!("http://{}/hooks/misar", self.addr)
    }

    /// Answer every request with `status` from now on.
    pub fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn handle(conn: TcpStream, got: &Mutex<Vec<Received>>, status: &Mutex<u16>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&conn);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return;
    };
    let (method, path) = (method.to_string(), path.to_string());
    let (mut len, mut content_type) = (0usize, None);
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => len = value.trim().parse().unwrap_or(0),
                "content-type" => content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    got.lock().unwrap().push(Received {
        method,
        path,
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let code = *status.lock().unwrap();
    let mut conn = conn;
    let _ = conn.write_all(
        format!("HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").as_bytes(),
    );
}
