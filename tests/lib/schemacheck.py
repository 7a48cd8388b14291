#!/usr/bin/python3
# schemacheck.py — validates JSON documents against a schema of api/openapi.yaml, with a real
# JSON Schema 2020-12 validator (OpenAPI 3.1's dialect): the tests' way of checking that what
# the daemon sends (events, errors, jobs) is what the contract says.
#
#   schemacheck.py SPEC SCHEMA < documents
#
# Reads one JSON document per non-empty line of stdin and checks each against
# components/schemas/SCHEMA (its $refs resolved within SPEC). Prints one line per problem,
# "line N: at PATH: MESSAGE", and exits 1 when there is any, 2 on bad usage or input.
# Needs Debian's python3-yaml and python3-jsonschema (tools/install-deps.sh installs them).
import json
import sys

import jsonschema
import yaml


def main():
    if len(sys.argv) != 3:
        print("usage: schemacheck.py SPEC SCHEMA < documents", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    name = sys.argv[2]
    if name not in spec.get("components", {}).get("schemas", {}):
        print("no schema %s in %s" % (name, sys.argv[1]), file=sys.stderr)
        return 2
    # The spec's components ride along, so "#/components/schemas/…" resolves in the schema
    # document itself: no resolver setup that differs between jsonschema versions.
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/components/schemas/" + name,
        "components": spec["components"],
    }
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    seen = 0
    for n, line in enumerate(sys.stdin, 1):
        line = line.strip()
        if not line:
            continue
        try:
            doc = json.loads(line)
        except ValueError as e:
            print("line %d: not JSON: %s" % (n, e))
            return 2
        seen += 1
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            path = "/".join(str(p) for p in err.path) or "(top)"
            print("line %d: at %s: %s" % (n, path, err.message[:300]))
            bad += 1
    print("%d documents, %d problems" % (seen, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
