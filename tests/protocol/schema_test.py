#!/usr/bin/python3
"""Keeps protocol/schema/, the spec's examples and the codec's rejection table in agreement.

1. Every schema is a valid draft 2020-12 schema with a title and a description.
2. Every example in protocol/README.md (a fenced block whose info string is `json <topic>`) is valid
   against its schema, picked by `type` (birth, event, telemetry), the channel (status) or `cmd`.
3. Every row of tests/protocol/malformed.json marked `"schema": true` fails the schemas of its channel,
   with an error at the row's path (or, for a missing field or a repeated item, at its parent object);
   every row marked false is otherwise valid, so the flag is exact. Rows whose payload is not JSON or
   whose topic has no channel are skipped: a schema only ever sees a parsed payload.
4. The fields the schemas mark "x-sterifleet-descriptive" are exactly the fields that tests/protocol/
   fields.json says drift (section 3.6 of the spec), and every row of that table fails the schema of
   its message where it sets a value the spec defines (a field the spec does not define is allowed).

Run by CTest; exits 77 (skipped) when the jsonschema module is not installed.
"""

import argparse
import json
import pathlib
import re
import sys

try:
    import jsonschema
except ImportError:
    print("jsonschema is not installed (Debian: python3-jsonschema); skipping")
    sys.exit(77)

EVENT_TYPES = ["session.start", "session.end", "cartridge.insert", "cartridge.remove", "fault", "cycle.complete",
               "bi.result", "test.bowie_dick"]
# The schemas a payload on each channel may satisfy: one per message type that belongs there.
CHANNEL_SCHEMAS = {
    "birth": ["birth"],
    "event": EVENT_TYPES,
    "telemetry": ["telemetry"],
    "status": ["status"],
    "cmd": ["command"],
}
TOPIC = re.compile(r"^sterifleet/v1/[^/]+/[^/]+/([^/]+)$")


class Schemas:
    def __init__(self, folder):
        self.folder = pathlib.Path(folder).resolve()
        self.documents = {}
        for path in sorted(self.folder.glob("*.schema.json")):
            self.documents[path.name] = json.loads(path.read_text(encoding="utf-8"))
        # Relative $refs ("common.schema.json#/$defs/id") resolve against each file's own URI; the store
        # holds every file, so nothing is fetched.
        self.store = {(self.folder / name).as_uri(): doc for name, doc in self.documents.items()}

    def validator(self, name):
        schema = self.documents[name + ".schema.json"]
        resolver = jsonschema.RefResolver(base_uri=(self.folder / (name + ".schema.json")).as_uri(),
                                          referrer=schema, store=self.store)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


def readme_examples(readme):
    """(line, topic, payload) of every fenced `json <topic>` block."""
    examples, current = [], None
    for number, line in enumerate(pathlib.Path(readme).read_text(encoding="utf-8").splitlines(), start=1):
        if current is not None:
            if line.startswith("```"):
                examples.append(current)
                current = None
            else:
                current[2].append(line)
        elif line.startswith("```json "):
            current = (number, line[len("```json "):].strip(), [])
    return [(number, topic, "\n".join(lines)) for number, topic, lines in examples]


def channel_of(topic):
    match = TOPIC.match(topic)
    return match.group(1) if match else None


def expand(payload, expansions):
    """The same expansion as malformed_test.cpp: count copies of item ({i} = index) joined by separator."""
    for e in expansions:
        text = e["separator"].join(e["item"].replace("{i}", str(i), 1) for i in range(e["count"]))
        payload = payload.replace(e["marker"], text)
    return payload


def error_paths(errors):
    """(validator keyword, path as a tuple of strings) of each error and of the errors nested in it."""
    for error in errors:
        yield error.validator, tuple(str(part) for part in error.absolute_path)
        yield from error_paths(error.context or [])


def pointer_parts(pointer):
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]) if pointer else ()


class Checker:
    def __init__(self, schemas):
        self.schemas = schemas
        self.validators = {}
        self.failures = []

    def validator(self, name):
        if name not in self.validators:
            self.validators[name] = self.schemas.validator(name)
        return self.validators[name]

    def fail(self, where, what):
        self.failures.append(f"{where}: {what}")

    def check_schemas(self):
        for name, schema in self.schemas.documents.items():
            try:
                jsonschema.Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as error:
                self.fail(name, f"not a valid draft 2020-12 schema: {error.message}")
            if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
                self.fail(name, "does not declare draft 2020-12")
            if not schema.get("title") or not schema.get("description"):
                self.fail(name, "lacks a title or a description")
        expected = {name + ".schema.json" for names in CHANNEL_SCHEMAS.values() for name in names}
        expected.add("common.schema.json")
        if set(self.schemas.documents) != expected:
            self.fail("schema/", f"expected exactly {sorted(expected)}, found {sorted(self.schemas.documents)}")

    def check_example(self, line, topic, payload):
        where = f"README.md:{line}"
        channel = channel_of(topic)
        if channel not in CHANNEL_SCHEMAS:
            self.fail(where, f"topic {topic!r} has no known channel")
            return
        message = json.loads(payload)
        if channel in ("birth", "event", "telemetry"):
            name = message.get("type")
            if name not in CHANNEL_SCHEMAS[channel]:
                self.fail(where, f"type {name!r} does not belong on the {channel} channel")
                return
        else:
            name = CHANNEL_SCHEMAS[channel][0]
        for error in self.validator(name).iter_errors(message):
            self.fail(where, f"invalid against {name}.schema.json at /{'/'.join(map(str, error.absolute_path))}: "
                             f"{error.message}")
        # The channel's other schemas must not accept it: `type` tells them apart.
        for other in CHANNEL_SCHEMAS[channel]:
            if other != name and self.validator(other).is_valid(message):
                self.fail(where, f"also valid against {other}.schema.json")

    def check_malformed(self, row):
        where = f"malformed.json {row['name']}"
        try:
            message = json.loads(expand(row["payload"], row.get("expand", [])))
        except ValueError:
            return False
        channel = channel_of(row["topic"])
        if channel not in CHANNEL_SCHEMAS:
            if row["schema"]:
                self.fail(where, "marked schema-expressible but its topic has no known channel")
            return False
        # A payload whose type names a schema of the channel is judged by that one; otherwise by all of them.
        named = message.get("type") if isinstance(message, dict) else None
        names = [named] if named in CHANNEL_SCHEMAS[channel] else CHANNEL_SCHEMAS[channel]
        if not row["schema"]:
            # The flag must be exact: a fault the schemas cannot see leaves the payload otherwise valid.
            if not any(self.validator(name).is_valid(message) for name in names):
                self.fail(where, "marked not schema-expressible, yet the schemas reject it: "
                                 "the row has a second fault, or the flag is wrong")
            return True
        expected = pointer_parts(row["path"])
        for name in names:
            errors = list(self.validator(name).iter_errors(message))
            if not errors:
                self.fail(where, f"valid against {name}.schema.json although the codec rejects it "
                                 f"({row['reason']} at {row['path'] or '/'})")
                continue
            located = any(path == expected or (path == expected[:-1] and keyword in ("required", "uniqueItems"))
                          for keyword, path in error_paths(errors))
            if not located:
                found = sorted({"/" + "/".join(path) for _, path in error_paths(errors)})
                self.fail(where, f"{name}.schema.json rejects it, but at {found}, not at {row['path'] or '/'}")
        return True


def descriptive_fields(schemas):
    """(schema name, JSON Pointer) of every property marked descriptive; the cartridge's for each message with one."""
    def walk(node, pointer, found):
        if isinstance(node, dict):
            if node.get("x-sterifleet-descriptive"):
                found.add(pointer)
            for key, value in node.get("properties", {}).items():
                walk(value, pointer + "/" + key, found)
        return found

    common = schemas.documents["common.schema.json"]["$defs"]
    cartridge = walk(common["cartridge"], "", set())
    out = set()
    for name, document in schemas.documents.items():
        if name == "common.schema.json":
            continue
        message = name[: -len(".schema.json")]
        for pointer in walk(document, "", set()):
            out.add((message, pointer))
        body = document.get("properties", {}).get("body", {}).get("properties", {})
        if "cartridge" in body and "$ref" in body["cartridge"]:
            out.update((message, "/body/cartridge" + pointer) for pointer in cartridge)
    return out


def undefined_field(row):
    """A row that sets a field the spec does not define for its object: drift the schemas allow."""
    return "/x_" in row["path"] or (row["base"] == "cartridge.remove" and row["path"] == "/body/cartridge/lot")


def check_field_table(checker, table):
    drift = set()
    for row in table["cases"]:
        if row["outcome"] == "drift" and not undefined_field(row):
            drift.add((table["bases"][row["base"]]["payload"].get("type", "status"), row["path"]))
    marked = descriptive_fields(checker.schemas)
    for message, pointer in sorted(marked - drift):
        checker.fail("schema/", f"{message} {pointer} is marked descriptive, but fields.json has no drift row for it")
    for message, pointer in sorted(drift - marked):
        checker.fail("fields.json", f"{message} {pointer} drifts, but its schema does not mark it descriptive")
    for row in table["cases"]:
        if undefined_field(row):
            continue
        base = table["bases"][row["base"]]
        name = base["payload"].get("type", "status")
        payload = json.loads(json.dumps(base["payload"]))
        parts = pointer_parts(row["path"])
        node = payload
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = row["value"]
        if checker.validator(name).is_valid(payload):
            checker.fail(f"fields.json {row['base']} {row['path']}", f"valid against {name}.schema.json")
    return len(table["cases"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readme", required=True)
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--malformed", required=True)
    parser.add_argument("--fields", required=True)
    args = parser.parse_args()

    checker = Checker(Schemas(args.schemas))
    checker.check_schemas()
    examples = readme_examples(args.readme)
    for line, topic, payload in examples:
        checker.check_example(line, topic, payload)
    rows = json.loads(pathlib.Path(args.malformed).read_text(encoding="utf-8"))["cases"]
    checked = sum(checker.check_malformed(row) for row in rows)
    fields = check_field_table(checker, json.loads(pathlib.Path(args.fields).read_text(encoding="utf-8")))

    for failure in checker.failures:
        print("FAIL", failure)
    print(f"{len(checker.schemas.documents)} schemas, {len(examples)} README examples valid, "
          f"{checked} of {len(rows)} malformed rows and {fields} field rows checked against the schemas, "
          f"{len(checker.failures)} failures")
    if not examples or not checked:
        print("FAIL nothing was checked")
        return 1
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main())
