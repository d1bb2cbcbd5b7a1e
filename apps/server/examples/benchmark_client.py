#!/usr/bin/env python3
"""A benchmark harness talking to `assets serve` with nothing but Python's standard library.

It finds the latest dataset of an organism, downloads it (resuming a partial download and
checking its sha256), looks up a model, computes a toy metric and registers the metrics as an
output linked to the exact dataset and model versions. It prints a JSON summary.

    ASSETS_URL=http://127.0.0.1:8080 ASSETS_TOKEN=... \
        python3 benchmark_client.py --organism human --model models/scvi --out ./work

Every error the server sends is {"error": {"code", "message"}}; the script prints it and exits 1.
"""

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

CHUNK = 1 << 20


class ApiError(Exception):
    """An error answer of the server, with its stable code (UNAUTHENTICATED, ASSET_NOT_FOUND…)."""

    def __init__(self, status, code, message):
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.status, self.code = status, code


class Client:
    def __init__(self, url, token):
        self.url, self.token = url.rstrip("/"), token

    def request(self, method, path, body=None, headers=None):
        """Opens a request and returns the response (the caller reads and closes it)."""
        headers = {"authorization": f"Bearer {self.token}", **(headers or {})}
        if isinstance(body, (dict, list)):
            body, headers["content-type"] = json.dumps(body).encode(), "application/json"
        req = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
        try:
            return urllib.request.urlopen(req)
        except urllib.error.HTTPError as error:
            if method == "HEAD" or error.code in (304, 416):
                return error  # answers the caller handles itself, not failures
            raw = error.read()
            try:
                detail = json.loads(raw)["error"]
                raise ApiError(error.code, detail["code"], detail["message"]) from None
            except (ValueError, KeyError, TypeError):
                raise ApiError(error.code, "HTTP_ERROR", raw[:200].decode(errors="replace")) from None

    def json(self, method, path, body=None):
        with self.request(method, path, body) as response:
            return json.load(response)


def key_path(key):
    return urllib.parse.quote(key, safe="/")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def find_latest_dataset(client, organism):
    query = {"kind": "dataset", "where": {"organism": organism}, "sort": {"field": "createdAt", "order": "desc"}, "limit": 1}
    items = client.json("POST", "/v1/find", {"query": query})["items"]
    if not items:
        sys.exit(f"error: no dataset with organism={organism} is readable with this token")
    return items[0]


def download(client, record, dest):
    """Downloads one version to `dest`, resuming from `dest + '.part'`.

    Returns (bytes the server skipped on the first attempt thanks to Range, attempts)."""
    partial = dest + ".part"
    path = f"/v1/content/{key_path(record['key'])}?ref={urllib.parse.quote(record['version'])}"
    resumed_from = None
    for attempt in (1, 2):
        offset = os.path.getsize(partial) if os.path.exists(partial) else 0
        headers = {"range": f"bytes={offset}-"} if offset else {}
        with client.request("GET", path, headers=headers) as response:
            etag = (response.headers.get("etag") or "").strip('"')
            if resumed_from is None:
                resumed_from = offset if response.status == 206 else 0
            if response.status != 416:  # 416: the partial file is already as long as the content, or longer
                mode = "ab" if response.status == 206 else "wb"  # 200: the server sent it all
                with open(partial, mode) as f:
                    for chunk in iter(lambda: response.read(CHUNK), b""):
                        f.write(chunk)
        expected = record["digest"] if record["digest"].startswith("sha256:") else etag
        if etag and etag != expected:
            raise ApiError(200, "INTEGRITY_ERROR", f"ETag {etag} is not the record's digest {expected}")
        actual = sha256_of(partial)
        if actual == expected:
            os.replace(partial, dest)
            return resumed_from, attempt
        os.remove(partial)  # a stale or corrupt prefix: start again from zero, once
        print(f"warning: {dest} had sha256 {actual}, expected {expected}; downloading again", file=sys.stderr)
    raise ApiError(200, "INTEGRITY_ERROR", f"{record['key']}@{record['version']} did not match its digest twice")


def toy_metric(path):
    """The mean byte value of the file: a stand-in for a real evaluation."""
    total = count = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            total, count = total + sum(chunk), count + len(chunk)
    return {"n_bytes": count, "mean_byte": round(total / count, 4) if count else 0}


def upload(client, data):
    """Uploads bytes as a blob, resuming an unfinished upload; returns (digest, location, how)."""
    hexdigest = hashlib.sha256(data).hexdigest()
    location = f"blobs/sha256/{hexdigest[:2]}/{hexdigest}"
    with client.request("HEAD", f"/v1/blobs/{location}") as head:
        if head.status == 200:
            return "sha256:" + hexdigest, location, "already stored"
        offset = int(head.headers.get("upload-offset") or 0)
    headers = {"content-type": "application/octet-stream"}
    if offset:
        headers["content-range"] = f"bytes {offset}-{len(data) - 1}/{len(data)}"
    with client.request("PUT", f"/v1/blobs/{location}", data[offset:], headers) as response:
        if not json.load(response)["stored"]:
            raise ApiError(response.status, "INCOMPLETE", f"the server did not store {location}")
    return "sha256:" + hexdigest, location, f"resumed from {offset}" if offset else "uploaded"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--organism", required=True, help="metadata organism of the dataset, e.g. human")
    parser.add_argument("--model", required=True, help="model key, e.g. models/scvi")
    parser.add_argument("--model-ref", default="latest", help="model version or tag (default latest)")
    parser.add_argument("--out", default=".", help="folder to download into (default .)")
    parser.add_argument("--output-key", help="key of the metrics output (default outputs/benchmarks/<model>/<dataset>)")
    args = parser.parse_args()
    url, token = os.environ.get("ASSETS_URL"), os.environ.get("ASSETS_TOKEN")
    if not url or not token:
        sys.exit("error: set ASSETS_URL and ASSETS_TOKEN")
    client = Client(url, token)

    dataset = find_latest_dataset(client, args.organism)
    model = client.json("GET", f"/v1/info/{key_path(args.model)}?ref={urllib.parse.quote(args.model_ref)}")
    os.makedirs(args.out, exist_ok=True)
    dest = os.path.join(args.out, dataset.get("fileName") or dataset["key"].rsplit("/", 1)[-1])
    resumed_from, attempts = download(client, dataset, dest)

    metrics = toy_metric(dest)
    data = json.dumps(metrics, sort_keys=True).encode()
    digest, location, how = upload(client, data)

    output_key = args.output_key or f"outputs/benchmarks/{model['key']}/{dataset['key']}"
    registered = client.json("POST", f"/v1/register/{key_path(output_key)}", {
        "content": {"type": "file", "digest": digest, "size": len(data), "fileCount": 1, "location": location},
        "metadata": {**metrics, "organism": args.organism},
        "options": {
            "kind": "output",
            "fileName": "metrics.json",
            "relationships": [
                {"relation": "evaluated_on", "key": dataset["key"], "version": dataset["version"]},
                {"relation": "produced_by", "key": model["key"], "version": model["version"]},
            ],
        },
    })
    record = registered["record"]
    print(json.dumps({
        "dataset": {"key": dataset["key"], "version": dataset["version"], "path": dest, "resumedFrom": resumed_from, "attempts": attempts},
        "model": {"key": model["key"], "version": model["version"]},
        "metrics": metrics,
        "upload": how,
        "output": {"key": record["key"], "version": record["version"], "digest": record["digest"], "created": registered["created"]},
    }, indent=2))


if __name__ == "__main__":
    try:
        main()
    except ApiError as error:
        sys.exit(f"error: {error}")
    except urllib.error.URLError as error:
        sys.exit(f"error: cannot reach ASSETS_URL: {error.reason}")
