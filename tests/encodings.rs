//! Keys in encoded form (SPEC §1): base64, percent-encoding, `\u`/`\x`
//! escapes and UTF-16, each reported at the location of the encoded text with
//! the encoding named.

mod common;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::{fake_key, run, sha256, Tree};
use serde_json::Value;

/// `(path, line, column, encoding, secret_sha256)` of every finding.
fn found(tree: &Tree, keys: &[&str], extra: &[&str]) -> Vec<(String, u64, u64, String, String)> {
    let mut args = vec!["scan", "-f", "json"];
    args.extend_from_slice(extra);
    let r = run(tree.path(), &args, keys);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f: &Value| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["encoding"].as_str().unwrap().to_string(),
                f["secret_sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn one(
    path: &str,
    line: u64,
    col: u64,
    enc: &str,
    key: &str,
) -> (String, u64, u64, String, String) {
    (path.into(), line, col, enc.into(), sha256(key))
}

#[test]
fn kubernetes_secret_data_in_base64() {
    let tree = Tree::new();
    let k = fake_key("msk_", 41);
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\ndata:\n  MISAR_API_KEY: {}\n",
        STANDARD.encode(&k)
    );
    tree.write("k8s/secret.yaml", yaml);
    assert_eq!(
        found(&tree, &[&k], &[]),
        [one("k8s/secret.yaml", 4, 18, "base64", &k)]
    );
    assert!(found(&tree, &[&k], &["--no-decode"]).is_empty());
}

#[test]
fn base64_at_every_alignment_padded_or_not_and_url_safe() {
    let tree = Tree::new();
    let k = fake_key("ask_", 42);
    let mut text = String::new();
    for lead in ["", " ", "k=", "user:", "u:"] {
        let plain = format!("{lead}{k}");
        text.push_str(&format!("a {}\n", STANDARD.encode(&plain)));
        text.push_str(&format!("b {}\n", STANDARD_NO_PAD.encode(&plain)));
        text.push_str(&format!(
            "c {}\n",
            URL_SAFE_NO_PAD.encode(format!("{plain}?>~"))
        ));
    }
    tree.write("blobs.txt", text);
    let f = found(&tree, &[&k], &[]);
    assert_eq!(f.len(), 15, "{f:?}");
    assert!(f.iter().all(|x| x.3 == "base64" && x.4 == sha256(&k)));
}

#[test]
fn basic_auth_header_and_dockerconfigjson() {
    let tree = Tree::new();
    let (a, b) = (fake_key("mdk_", 43), fake_key("msk_", 44));
    tree.write(
        "req.http",
        format!(
            "GET / HTTP/1.1\nAuthorization: Basic {}\n",
            STANDARD.encode(format!("apikey:{a}"))
        ),
    );
    // The location is that of the base64 characters encoding the key itself.
    let auth = STANDARD.encode(format!("ci:{b}"));
    tree.write(
        ".dockerconfigjson",
        format!("{{\"auths\":{{\"r\":{{\"auth\":\"{auth}\"}}}}}}"),
    );
    let f = found(&tree, &[&a, &b], &[]);
    assert_eq!(
        f,
        [
            one(".dockerconfigjson", 1, 28, "base64", &b),
            one("req.http", 2, 31, "base64", &a),
        ]
    );
}

#[test]
fn key_split_across_a_base64_line_wrap() {
    let tree = Tree::new();
    let k = fake_key("msk_", 45);
    let enc = STANDARD.encode(format!("config: {k}\n"));
    // Wrap at 20 columns (PEM-style), indented like a YAML block scalar.
    let wrapped: Vec<&str> = enc
        .as_bytes()
        .chunks(20)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    tree.write(
        "wrapped.yaml",
        format!("blob: |\n  {}\n", wrapped.join("\n  ")),
    );
    let f = found(&tree, &[&k], &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].3, "base64");
    assert_eq!(f[0].4, sha256(&k));
    // CRLF wraps too.
    tree.write("wrapped.yaml", format!("{}\r\n", wrapped.join("\r\n")));
    assert_eq!(found(&tree, &[&k], &[]).len(), 1);
}

#[test]
fn base64_of_binary_garbage_is_not_a_finding() {
    let tree = Tree::new();
    // Random bytes, plus the base64 image of the prefix followed by bytes
    // that decode to no key body.
    let mut x: u64 = 0x1234_5678;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut text = STANDARD.encode(&bytes);
    text.push_str("\nbXNrX/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+\nbXNrXwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
    tree.write("blob.b64", text);
    assert!(found(&tree, &[], &[]).is_empty());
}

#[test]
fn percent_encoded_keys_in_urls_and_forms() {
    let tree = Tree::new();
    let (a, b) = (fake_key("msk_", 46), fake_key("ask_", 47));
    let b_enc = b.replace('_', "%5F");
    tree.write(
        "urls.txt",
        format!(
            "https://x.io/cb?redirect=1%26token%3D{a}\nbody=key={b_enc}\nlower=ask%5f{}\n",
            &b[4..]
        ),
    );
    let f = found(&tree, &[&a, &b], &[]);
    assert_eq!(
        f,
        [
            one("urls.txt", 1, 38, "raw", &a),
            one("urls.txt", 2, 10, "percent", &b),
            one("urls.txt", 3, 7, "percent", &b),
        ]
    );
}

#[test]
fn unicode_and_hex_escapes_in_json_js_and_python() {
    let tree = Tree::new();
    let (a, b, c) = (
        fake_key("mdk_", 48),
        fake_key("msk_", 49),
        fake_key("ask_", 50),
    );
    tree.write(
        "escaped.json",
        format!(
            "{{\"a\": \"mdk\\u005f{}\", \"b\": \"x\\u003d{b}\"}}\nprint('ask\\x5f{}')\nmsg = \"first\\n{c}\"\n",
            &a[4..],
            &c[4..]
        ),
    );
    let f = found(&tree, &[&a, &b, &c], &[]);
    assert_eq!(
        f,
        [
            one("escaped.json", 1, 8, "escape", &a),
            one("escaped.json", 1, 65, "raw", &b),
            one("escaped.json", 2, 8, "escape", &c),
            one("escaped.json", 3, 15, "raw", &c),
        ]
    );
}

#[test]
fn utf16_files_with_and_without_bom() {
    let tree = Tree::new();
    let (a, b) = (fake_key("msk_", 51), fake_key("mdk_", 52));
    let text = format!("# Windows config\r\nKEY={a}\r\nOTHER=\"{b}\"\r\n");
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    tree.write("le.txt", le);
    tree.write("be.txt", be);
    let f = found(&tree, &[&a, &b], &[]);
    assert_eq!(
        f,
        [
            one("be.txt", 2, 5, "utf16be", &a),
            one("be.txt", 3, 8, "utf16be", &b),
            one("le.txt", 2, 5, "utf16le", &a),
            one("le.txt", 3, 8, "utf16le", &b),
        ]
    );
}

#[test]
fn encoded_keys_are_redacted_in_every_format() {
    let tree = Tree::new();
    let k = fake_key("msk_", 53);
    let enc = STANDARD.encode(&k);
    tree.write("s.yaml", format!("token: {enc}\n"));
    for format in ["human", "json", "sarif"] {
        let r = run(tree.path(), &["scan", "-f", format], &[&k, &enc]);
        assert_eq!(r.code, 1);
        assert!(r.stdout.contains("base64"), "{format}: {}", r.stdout);
    }
}
