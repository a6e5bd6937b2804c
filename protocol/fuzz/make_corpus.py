#!/usr/bin/python3
"""Writes the seed corpus of decode_fuzz into corpus/: every example of protocol/README.md, every
row of tests/protocol/malformed.json (rows that expand to large payloads are left to the fuzzer) and
every drift row of tests/protocol/fields.json.

Each file is one selector byte and the payload, laid out as decode_fuzz.cpp reads it: the byte picks
(device, channel) from the same tables; other topics go in the input after the selector of slot 31.
Run it from anywhere after the README or the table changes, and commit the result.
"""

import json
import pathlib
import re

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# Keep in step with kDevices and kChannels in decode_fuzz.cpp.
DEVICES = ["PEN-0001", "PEN-0002", "STER-01", "STER-02", "WD-01",
           "D123456789012345678901234567890123456789012345678901234567890123"]
CHANNELS = ["birth", "event", "telemetry", "status", "cmd"]
SLOTS = 32
TOPIC_IN_INPUT = 31
FIXED = re.compile(r"^sterifleet/v1/north/([^/]+)/([^/]+)$")


def selector(slot):
    # 0x40 + slot is printable ('@' to '_') and the same slot modulo 32.
    return bytes([0x40 + slot])


def seed(topic, payload):
    match = FIXED.match(topic)
    if match and match.group(1) in DEVICES and match.group(2) in CHANNELS:
        slot = DEVICES.index(match.group(1)) * len(CHANNELS) + CHANNELS.index(match.group(2))
        return selector(slot) + payload.encode("utf-8")
    return selector(TOPIC_IN_INPUT) + topic.encode("utf-8") + b"\n" + payload.encode("utf-8")


def readme_examples():
    examples, current = [], None
    for number, line in enumerate((ROOT / "protocol" / "README.md").read_text(encoding="utf-8").splitlines(), 1):
        if current is not None:
            if line.startswith("```"):
                examples.append(current)
                current = None
            else:
                current[2].append(line)
        elif line.startswith("```json "):
            current = (number, line[len("```json "):].strip(), [])
    return [(number, topic, "\n".join(lines)) for number, topic, lines in examples]


def main():
    corpus = HERE / "corpus"
    corpus.mkdir(exist_ok=True)
    for old in corpus.iterdir():
        old.unlink()
    count = 0
    for number, topic, payload in readme_examples():
        message = json.loads(payload)
        kind = message.get("type") or message.get("cmd") or "status"
        (corpus / f"readme-{number:04d}-{kind}").write_bytes(seed(topic, payload))
        count += 1
    table = json.loads((ROOT / "tests" / "protocol" / "malformed.json").read_text(encoding="utf-8"))
    for row in table["cases"]:
        if row.get("expand"):
            continue
        (corpus / f"malformed-{row['name']}").write_bytes(seed(row["topic"], row["payload"]))
        count += 1
    fields = json.loads((ROOT / "tests" / "protocol" / "fields.json").read_text(encoding="utf-8"))
    for index, row in enumerate(fields["cases"]):
        if row["outcome"] != "drift":
            continue
        base = fields["bases"][row["base"]]
        payload = json.loads(json.dumps(base["payload"]))
        *parents, last = row["path"].split("/")[1:]
        node = payload
        for part in parents:
            node = node[part]
        node[last] = row["value"]
        name = re.sub(r"[^A-Za-z0-9]+", "_", row["base"] + row["path"])
        (corpus / f"drift-{index:03d}-{name}").write_bytes(seed(base["topic"], json.dumps(payload, ensure_ascii=False)))
        count += 1
    print(f"{count} seeds in {corpus}")


if __name__ == "__main__":
    main()
