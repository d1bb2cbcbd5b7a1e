"""Load cz-benchmarks datasets through the `assets` command: versions, checksums, offline use.

A drop-in for cz-benchmarks' own download step (czbenchmarks.file_utils.download_file_from_remote):

    from assets_datasets import load_dataset
    path = load_dataset("tsv2_prostate")          # the verified local h5ad file
    adata = anndata.read_h5ad(path)

It runs `assets get cz-benchmarks/<name> --json` (after `assets import cz-benchmarks datasets.yaml`)
and returns the path that command prints: a file in the assets cache whose sha256 was checked (or,
on the first get of a dataset imported without --hash, computed and recorded). Standard library only.

Environment:
    ASSETS_CLI     the command to run, split like a shell would (default: "assets"),
                   e.g. "node /opt/assets/apps/cli/dist/bin.js" or "npx assets".
    ASSETS_PREFIX  the key prefix the catalogue was imported under (default: "cz-benchmarks").
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from typing import Optional, Sequence

__all__ = ["AssetsError", "load_dataset", "dataset_key"]

_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class AssetsError(RuntimeError):
    """`assets get` failed: `code` is its stable error code (ASSET_NOT_FOUND, INTEGRITY_ERROR …)."""

    def __init__(self, message: str, code: str = "ASSETS_FAILED", exit_code: Optional[int] = None):
        super().__init__(message)
        self.code = code
        self.exit_code = exit_code


def dataset_key(name: str, prefix: Optional[str] = None) -> str:
    """The asset key a cz-benchmarks dataset name was imported under."""
    if not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
        raise ValueError(f"invalid dataset name {name!r}: letters, digits, '.', '_' and '-' only")
    return f"{prefix or os.environ.get('ASSETS_PREFIX') or 'cz-benchmarks'}/{name}"


def _command() -> Sequence[str]:
    command = shlex.split(os.environ.get("ASSETS_CLI", "assets"))
    if not command:
        raise AssetsError("ASSETS_CLI is empty", code="USAGE")
    return command


def load_dataset(name: str, version: Optional[str] = None, prefix: Optional[str] = None, timeout: Optional[float] = None) -> str:
    """Fetch a dataset (a version or tag when given, else the latest) and return its verified local path."""
    ref = dataset_key(name, prefix) + (f"@{version}" if version else "")
    argv = [*_command(), "get", ref, "--json", "--quiet"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except FileNotFoundError as error:
        raise AssetsError(f"cannot run {argv[0]!r}: install @assets/cli or set ASSETS_CLI", code="NOT_INSTALLED") from error
    except subprocess.TimeoutExpired as error:
        raise AssetsError(f"assets get {ref} took longer than {timeout} s", code="TIMEOUT") from error
    if done.returncode != 0:
        code, message = "ASSETS_FAILED", done.stderr.strip() or f"exit code {done.returncode}"
        try:
            parsed = json.loads(done.stderr)
            code = parsed["error"]["code"]
            message = parsed["error"]["message"]
        except (ValueError, KeyError, TypeError):
            pass
        raise AssetsError(f"assets get {ref}: {message}", code=code, exit_code=done.returncode)
    try:
        path = json.loads(done.stdout)["path"]
    except (ValueError, KeyError, TypeError) as error:
        raise AssetsError(f"assets get {ref} printed no path: {done.stdout[:200]!r}") from error
    if not isinstance(path, str) or not os.path.isfile(path):
        raise AssetsError(f"assets get {ref} printed {path!r}, which is not a file")
    return path
