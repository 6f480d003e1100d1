#!/usr/bin/env python3
"""Driver of scripts/bench-scale: builds an organisation of N units through the API and measures
writes and the list at 1 000 units and at N.

Usage: scale.py ORIGIN TOKEN_FILE UNITS FANOUT SAMPLES
Prints one line per figure; every request goes over one keep-alive connection, one at a time,
timed from sending it to the answer's last byte."""

import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

origin, token_file, total, fanout, samples = sys.argv[1:6]
total, fanout, samples = int(total), int(fanout), int(samples)
token = open(token_file).read().strip()
url = urllib.parse.urlsplit(origin)
conn = http.client.HTTPConnection(url.hostname, url.port)


def call(method, path, body=None, encoding=None):
    """One request; returns (status, body bytes as sent, seconds to the last byte)."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    if encoding:
        headers["Accept-Encoding"] = encoding
    began = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - began


def ok(status, data, expected):
    if status != expected:
        sys.exit(f"expected {expected}, got {status}: {data[:300]!r}")


def units():
    status, data, _ = call("GET", "/api/v1/org-units")
    ok(status, data, 200)
    return json.loads(data)


def grow(to):
    """Adds units breadth first, FANOUT under each, until the organisation has `to`."""
    existing = units()
    counts = {}
    for unit in existing:
        if unit["parent"]:
            counts[unit["parent"]] = counts.get(unit["parent"], 0) + 1
    queue = [unit["uuid"] for unit in existing if counts.get(unit["uuid"], 0) < fanout]
    have = len(existing)
    while have < to:
        parent = queue[0]
        body = {"name": f"Enhed {have + 1}", "parent": parent}
        status, data, _ = call("POST", "/api/v1/org-units", body)
        ok(status, data, 201)
        queue.append(json.loads(data)["uuid"])
        counts[parent] = counts.get(parent, 0) + 1
        if counts[parent] >= fanout:
            queue.pop(0)
        have += 1


# Seconds to wait for the server's polishing pass (list_cache::POLISH_AFTER, 5 s, and the pass).
POLISH_WAIT = 15
COLD_SAMPLES = 5


def ms(seconds):
    return f"{seconds * 1000:.2f} ms"


def spread(times):
    return f"median {ms(statistics.median(times))}, p90 {ms(statistics.quantiles(times, n=10)[-1])}"


def measure(size):
    listed = units()
    rng = random.Random(size)
    picks = [rng.choice(listed) for _ in range(samples)]
    creates, renames, made, versions = [], [], [], {}
    for i, unit in enumerate(picks):
        body = {"name": f"Prøve {i}", "parent": unit["uuid"]}
        status, data, took = call("POST", "/api/v1/org-units", body)
        ok(status, data, 201)
        creates.append(took)
        made.append(json.loads(data)["uuid"])

    def rename(unit, name):
        version = versions.get(unit["uuid"], unit["version"])
        body = {"name": name, "version": version}
        status, data, took = call("PATCH", f"/api/v1/org-units/{unit['uuid']}", body)
        ok(status, data, 200)
        versions[unit["uuid"]] = json.loads(data)["version"]
        return took

    for i, unit in enumerate(picks):
        renames.append(rename(unit, f"{unit['name']} ({i})"))
    for uuid in made:
        status, data, _ = call("DELETE", f"/api/v1/org-units/{uuid}")
        ok(status, data, 204)
    print(f"{size} units: create {spread(creates)} ({samples} samples)")
    print(f"{size} units: rename {spread(renames)} ({samples} samples)")
    for encoding in (None, "gzip", "br", "zstd"):
        # A write before each of COLD_SAMPLES lists, so each is read and encoded afresh (cold);
        # then 9 more of the last generation, the body kept for it (warm).
        colds, warms, size_on_wire = [], [], 0
        for i in range(COLD_SAMPLES):
            rename(picks[0], f"{picks[0]['name']} ({encoding} {i})")
            status, data, took = call("GET", "/api/v1/org-units", encoding=encoding)
            ok(status, data, 200)
            colds.append(took)
        for _ in range(9):
            status, data, took = call("GET", "/api/v1/org-units", encoding=encoding)
            ok(status, data, 200)
            warms.append(took)
            size_on_wire = len(data)
        print(f"{size} units: GET /api/v1/org-units ({encoding or 'identity'}) cold median "
              f"{ms(statistics.median(colds))} ({ms(min(colds))}-{ms(max(colds))}, {COLD_SAMPLES}), "
              f"warm median {ms(statistics.median(warms))} (9), {size_on_wire:,} B on the wire")
    # The server encodes a large brotli or zstd list again, smaller, once its generation has
    # lasted 5 s (one polish at a time, so one encoding after the other).
    for encoding in ("br", "zstd"):
        rename(picks[0], f"{picks[0]['name']} (polished {encoding})")
        ok(*call("GET", "/api/v1/org-units", encoding=encoding)[:2], 200)
        time.sleep(POLISH_WAIT)
        status, data, took = call("GET", "/api/v1/org-units", encoding=encoding)
        ok(status, data, 200)
        print(f"{size} units: GET /api/v1/org-units ({encoding}) {POLISH_WAIT} s after the last "
              f"write {ms(took)}, {len(data):,} B on the wire")


began = time.perf_counter()
small = min(1000, total)
grow(small)
measure(small)
if total > small:
    grow(total)
    print(f"built {total} units in {time.perf_counter() - began:.0f} s")
    measure(total)
