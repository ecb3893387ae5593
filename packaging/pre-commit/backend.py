"""The build backend of the repository root's pyproject.toml (PEP 517).

The root is the pre-commit hook repository. For a `language: python` hook,
pre-commit runs `pip install .` there; were the root the maturin package,
that would compile misar-scan with cargo on every laptop. So the root is a
thin package, `misar-scan-pre-commit`, with no code: its wheel only depends
on the `misar-scan` wheel of the same version (the one that carries the
binary, built from packaging/pypi/pyproject.toml). pip then installs that
prebuilt wheel, and the hook's `misar-scan` is its binary.

The backend is in-tree and needs nothing but the standard library
(`requires = []`), so building the thin wheel needs no package index either:
with `PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR` pip installs it and takes
`misar-scan` from DIR.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

NAME = "misar-scan-pre-commit"
DIST = NAME.replace("-", "_")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _version():
    """The package version of Cargo.toml: the hook and the binary agree."""
    with open(os.path.join(ROOT, "Cargo.toml"), encoding="utf-8") as f:
        in_package = False
        for line in f:
            line = line.strip()
            if line.startswith("["):
                in_package = line == "[package]"
            elif in_package:
                m = re.match(r'version\s*=\s*"([^"]+)"', line)
                if m:
                    return m.group(1)
    raise RuntimeError("no [package] version in Cargo.toml")


def _metadata():
    version = _version()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {NAME}\n"
        f"Version: {version}\n"
        "Summary: pre-commit hook repository shim: installs the prebuilt misar-scan wheel\n"
        "License: MIT OR Apache-2.0\n"
        "Requires-Python: >=3.8\n"
        f"Requires-Dist: misar-scan=={version}\n"
    )


_WHEEL = (
    "Wheel-Version: 1.0\n"
    "Generator: misar-scan packaging/pre-commit/backend.py\n"
    "Root-Is-Purelib: true\n"
    "Tag: py3-none-any\n"
)


def _dist_info():
    return f"{DIST}-{_version()}.dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, _dist_info())
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata())
    with open(os.path.join(info, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_WHEEL)
    return _dist_info()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = f"{DIST}-{_version()}-py3-none-any.whl"
    files = {
        f"{_dist_info()}/METADATA": _metadata().encode(),
        f"{_dist_info()}/WHEEL": _WHEEL.encode(),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(data)}")
    record.append(f"{_dist_info()}/RECORD,,")
    files[f"{_dist_info()}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, data in files.items():
            whl.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    base = f"{DIST}-{_version()}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for rel in ("pyproject.toml", "Cargo.toml", "packaging/pre-commit/backend.py"):
            tar.add(os.path.join(ROOT, rel), arcname=f"{base}/{rel}")
        info = _metadata().encode()
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(info)
        tar.addfile(entry, io.BytesIO(info))
    return name
