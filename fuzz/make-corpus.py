#!/usr/bin/env python3
"""Write the seed corpus of every fuzz target into fuzz/corpus/<target>/.

The seeds are small valid inputs (the fuzzer mutates them into invalid ones):
a real git pack and index with deltas, a real git index, archives holding a
key, encoded keys, the shipped rules, API answers, a JSON report. Every key
here is fake (a fixed pseudo-random body). Needs git and python3; run it
again after a format change and commit the result. Crashes the fuzzer finds
are added to the same folders (and become regression tests); this script
leaves them there.
"""
import gzip, io, json, os, shutil, struct, subprocess, sys, tarfile, tempfile, zipfile, base64

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "corpus")

def key(prefix, seed):
    b62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    x = (seed * 0x9E3779B97F4A7C15 + 12345) & (2**64 - 1)
    out = []
    for _ in range(36):
        x ^= (x << 13) & (2**64 - 1); x ^= x >> 7; x ^= (x << 17) & (2**64 - 1)
        out.append(b62[x % 62])
    return prefix + "".join(out)

K1, K2, K3 = key("msk_", 1), key("ask_", 2), key("mdk_", 3)

def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def git(cwd, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="Fuzz", GIT_AUTHOR_EMAIL="fuzz@example.com",
               GIT_COMMITTER_NAME="Fuzz", GIT_COMMITTER_EMAIL="fuzz@example.com",
               GIT_AUTHOR_DATE="2024-01-01T00:00:00Z", GIT_COMMITTER_DATE="2024-01-01T00:00:00Z",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True).stdout

def git_seeds():
    with tempfile.TemporaryDirectory() as t:
        git(t, "init", "-q", "-b", "main")
        body = "\n".join(f"line {i} of a config file" for i in range(60))
        for i in range(6):
            os.makedirs(os.path.join(t, "conf", "sub"), exist_ok=True)
            with open(os.path.join(t, "conf", "app.env"), "w") as f:
                f.write(body + f"\nVERSION={i}\n" + (f"MISAR_KEY={K1}\n" if i == 3 else ""))
            with open(os.path.join(t, "conf", "sub", "x.txt"), "w") as f:
                f.write(body[: 200 + i * 30])
            git(t, "add", "-A")
            git(t, "commit", "-q", "-m", f"commit {i}")
        git(t, "repack", "-adq", "--depth=10", "--window=10")
        pack_dir = os.path.join(t, ".git", "objects", "pack")
        idx = [p for p in os.listdir(pack_dir) if p.endswith(".idx")][0]
        idx_bytes = open(os.path.join(pack_dir, idx), "rb").read()
        pack_bytes = open(os.path.join(pack_dir, idx[:-4] + ".pack"), "rb").read()
        put("pack", "repo-with-deltas", struct.pack("<H", len(idx_bytes)) + idx_bytes + pack_bytes)
        put("git_index", "index-v2-cache-tree", open(os.path.join(t, ".git", "index"), "rb").read())
        git(t, "update-index", "--index-version", "4")
        put("git_index", "index-v4", open(os.path.join(t, ".git", "index"), "rb").read())

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def delta_seeds():
    base = b"the quick brown fox jumps over the lazy dog\n" * 4
    # copy 44 bytes from offset 0, insert 5 bytes, copy the rest
    ops = bytes([0x80 | 0x01 | 0x10, 0, 44]) + bytes([5]) + b"HELLO" + bytes([0x80 | 0x01 | 0x10, 44, len(base) - 44])
    delta = varint(len(base)) + varint(len(base) + 5) + ops
    put("delta", "copy-insert-copy", struct.pack("<H", len(base)) + base + delta)

def archive_seeds():
    member = f"MISAR_API_KEY={K1}\n".encode()
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("conf/app.env", member)
        zf.writestr("stored.txt", b"ASSISTERS=" + K2.encode(), compress_type=zipfile.ZIP_STORED)
    put("archive", "zip", b"\x00" + z.getvalue())
    t = io.BytesIO()
    with tarfile.open(fileobj=t, mode="w") as tf:
        info = tarfile.TarInfo("conf/app.env"); info.size = len(member)
        tf.addfile(info, io.BytesIO(member))
    put("archive", "tar", b"\x01" + t.getvalue())
    put("archive", "tar-gz", b"\x02" + gzip.compress(t.getvalue(), mtime=0))
    put("archive", "gz", b"\x03" + gzip.compress(member, mtime=0))
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w") as zf:
        zf.writestr("inner.zip", z.getvalue())
    put("archive", "nested-zip", b"\x00" + nested.getvalue())

def scan_seeds():
    put("scan", "raw", f"const key = '{K1}';\nBearer {K2}\n")
    put("scan", "base64", "data:\n  key: " + base64.b64encode(f"MISAR={K3}".encode()).decode() + "\n")
    put("scan", "base64-twice", "auth: " + base64.b64encode(base64.b64encode(f"u:{K1}".encode())).decode() + "\n")
    put("scan", "json-escapes", json.dumps({"k": K1}).replace("m", "\\u006d", 1))
    put("scan", "percent", f"https://x.example/?key={K2[:4]}%5F{K2[4:]}".replace("_", "%5F"))
    put("scan", "utf16", f"KEY={K1}\n".encode("utf-16-le"))
    put("scan", "webhook-lint",
        "if (sig == req.headers['x-misar-signature']) { send('" + K1 + "') }\n"
        "const secret = 'whsec_0123456789abcdefABCDEF'; crypto.createHmac('sha256', secret)\n")
    put("scan", "placeholder", "msk_your_api_key msk_xxxxxxxxxxxxxxxxxxxxxxxx msk_...\n")

def rules_seeds():
    rules = os.path.join(ROOT, "rules")
    for name in sorted(os.listdir(rules)):
        if name.endswith(".toml"):
            put("rules", name, open(os.path.join(rules, name), "rb").read())

def config_seeds():
    put("config", "allowlist", '[allowlist]\npaths = ["tests/**", "*.md"]\nwords = ["example"]\n\n[rules]\ndisable = ["misar-dev-api-key"]\n')
    put("config", "repo", open(os.path.join(ROOT, ".misar-scan.toml"), "rb").read())

def api_seeds():
    def a(status, ct, body):
        return struct.pack("<H", status) + bytes([ct]) + body.encode()
    entries = [{"id": f"k{i}", "name": f"key {i}", "prefix": key("msk_", i)[:8] + "...",
                "scopes": ["send", "keys:manage"], "last_used_at": None,
                "created_at": "2024-01-01T00:00:00Z"} for i in range(3)]
    put("api", "list-200", a(200, 1, json.dumps({"success": True, "data": entries})))
    put("api", "401", a(401, 1, '{"success":false,"error":{"code":"UNAUTHORIZED","message":"bad key"}}'))
    put("api", "403", a(403, 3, '{"success":false,"error":"FORBIDDEN"}'))
    put("api", "404-top-code", a(404, 1, '{"success":false,"code":"NOT_FOUND"}'))
    put("api", "html-200", a(200, 2, "<html><body>captive portal</body></html>"))
    put("api", "delete-200", a(200, 1, '{"success":true}'))

def report_seeds():
    with tempfile.TemporaryDirectory() as t:
        with open(os.path.join(t, "app.env"), "w") as f:
            f.write(f"MISAR_KEY={K1}\n")
        binary = os.environ.get("MISAR_SCAN_BIN") or os.path.join(ROOT, "target", "debug", "misar-scan")
        if os.path.exists(binary):
            r = subprocess.run([binary, "scan", t, "-f", "json"], capture_output=True)
            put("report", "scan-json", r.stdout)
        else:
            print("no misar-scan binary: report seed from scan skipped", file=sys.stderr)
    put("report", "minimal", json.dumps({"findings": [{"rule_id": "misar-mail-api-key", "path": "app.env",
        "line": 1, "column": 11, "secret_redacted": K1[:8] + "…", "secret_sha256": "0" * 64}]}))

def stdin_seeds():
    put("stdin_keys", "keys", f"# keys to check\n{K1}\n\n{K2}\n  {K3}  \nnot a key\n")

def main():
    # Seeds are rewritten in place; other files (crashes kept as
    # regressions) stay.
    git_seeds(); delta_seeds(); archive_seeds(); scan_seeds(); rules_seeds()
    config_seeds(); api_seeds(); report_seeds(); stdin_seeds()
    print("corpus written to", OUT)

if __name__ == "__main__":
    main()
