#!/usr/bin/env python3
"""Checks agent/api/openapi.json against the code it documents (CTest runs each step).

  schemas  DOC TOOL          components.schemas equal what openapi_schemas derives from the
                             .proto descriptors (--update rewrites them in DOC)
  routes   DOC MEMBERD       every route memberd's router knows (memberd --list-routes) is a
                             documented operation, and every documented operation is a route
  errors   DOC CATALOGUE     every code of PMA_API_ERROR_CODES (proto/pma/error_codes.h) is
                             documented under its HTTP status, and no other code or status is
  answers  DOC DIR           every answer the api and e2e tests recorded (DIR/*.jsonl, one
                             {method, target, status, body} per line) is documented: its path,
                             method and status, and its JSON body validates against the schema
Exit status 0 when the check holds, 1 with the differences on stderr otherwise.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def fail(problems):
    for p in problems:
        print("openapi: " + p, file=sys.stderr)
    return 1 if problems else 0


def check_schemas(doc_path, tool, update):
    generated = json.loads(subprocess.run([tool], check=True, capture_output=True,
                                          text=True).stdout)
    doc = load(doc_path)
    schemas = doc["components"]["schemas"]
    if update:
        schemas.update(generated)
        with open(doc_path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2, ensure_ascii=False)
            f.write("\n")
        return 0
    problems = []
    for name, schema in generated.items():
        if name not in schemas:
            problems.append(f"components.schemas.{name} is missing (run openapi_check.py "
                            "schemas --update)")
        elif schemas[name] != schema:
            problems.append(f"components.schemas.{name} differs from the .proto (run "
                            "openapi_check.py schemas --update)")
    for name in schemas:
        if name not in generated:
            problems.append(f"components.schemas.{name} is no message the API uses")
    return fail(problems)


def operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def check_routes(doc_path, memberd):
    doc = load(doc_path)
    with tempfile.TemporaryDirectory() as state:
        out = subprocess.run([memberd, "--list-routes", "--state-dir", state], check=True,
                             capture_output=True, text=True).stdout
    routes = set()
    for line in out.splitlines():
        method, pattern = line.split(" ", 1)
        routes.add((method.lower(), pattern))
    documented = {(m, p) for p, m, _ in operations(doc)}
    problems = [f"route {m.upper()} {p} is not in the document" for m, p in sorted(routes - documented)]
    problems += [f"{m.upper()} {p} is documented but memberd has no such route"
                 for m, p in sorted(documented - routes)]
    if not routes:
        problems.append("memberd --list-routes listed nothing")
    return fail(problems)


def error_responses(doc):
    """(where, status, code) for every error code the document names."""
    def from_response(where, status, response):
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        for part in schema.get("allOf", []):
            for code in part.get("properties", {}).get("code", {}).get("enum", []):
                yield where, status, code
    for path, method, op in operations(doc):
        for status, response in op["responses"].items():
            yield from from_response(f"{method.upper()} {path}", status, response)
    for name, response in doc["components"].get("responses", {}).items():
        status = {"NotFound": "404", "MethodNotAllowed": "405"}.get(name, "?")
        yield from from_response(f"components.responses.{name}", status, response)


def check_errors(doc_path, catalogue):
    doc = load(doc_path)
    with open(catalogue, encoding="utf-8") as f:
        text = f.read()
    api = text[text.index("#define PMA_API_ERROR_CODES"):text.index("#define PMA_RECORDED")]
    codes = {m.group(1): m.group(2) for m in re.finditer(r"X\((\w+), (\d+),", api)}
    problems = []
    seen = set()
    for where, status, code in error_responses(doc):
        seen.add(code)
        if code not in codes:
            problems.append(f"{where} names {code}, which the API never answers")
        elif codes[code] != status:
            problems.append(f"{where} lists {code} under {status}; it is answered {codes[code]}")
    problems += [f"{code} ({status}) is not documented anywhere"
                 for code, status in sorted(codes.items()) if code not in seen]
    return fail(problems)


def match_path(doc, path):
    """The documented path template for a request path: literal segments win over {params}."""
    best = None
    for template in doc["paths"]:
        t, p = template.strip("/").split("/"), path.strip("/").split("/")
        if len(t) != len(p):
            continue
        if all(a == b or (a.startswith("{") and a.endswith("}")) for a, b in zip(t, p)):
            literal = sum(1 for a in t if not a.startswith("{"))
            if best is None or literal > best[0]:
                best = (literal, template)
    return best[1] if best else None


def validate(doc, schema, body):
    wrapper = dict(schema)
    wrapper["components"] = doc["components"]
    jsonschema.Draft202012Validator(wrapper).validate(body)


def check_answers(doc_path, directory):
    doc = load(doc_path)
    problems = []
    count = 0
    files = sorted(glob.glob(os.path.join(directory, "*.jsonl")))
    for name in files:
        with open(name, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                record = json.loads(line)
                count += 1
                where = (f"{os.path.basename(name)}:{number}: {record['method']} "
                         f"{record['target']} -> {record['status']}")
                problem = check_answer(doc, record)
                if problem:
                    problems.append(f"{where}: {problem}")
    if count == 0:
        problems.append(f"no recorded answers in {directory} (run the api and e2e tests first)")
    print(f"openapi: {count} recorded answers in {len(files)} files checked", file=sys.stderr)
    return fail(problems[:50] + ([f"... and {len(problems) - 50} more"] if len(problems) > 50 else []))


def check_answer(doc, record):
    path = record["target"].split("?", 1)[0]
    status = str(record["status"])
    template = match_path(doc, path)
    response = None
    if template is None:
        response = doc["components"]["responses"]["NotFound"]
    else:
        op = doc["paths"][template].get(record["method"].lower())
        if op is None:
            response = doc["components"]["responses"]["MethodNotAllowed"]
        else:
            response = op["responses"].get(status)
            if response is None:
                return f"status {status} is not documented for {record['method']} {template}"
    if template is None and status != "404" or response is None:
        return "not documented"
    content = response.get("content", {})
    if "application/json" not in content:
        return None  # text/plain (metrics) or no body
    try:
        body = json.loads(record["body"])
    except ValueError as e:
        return f"the answer is not JSON ({e})"
    try:
        validate(doc, content["application/json"]["schema"], body)
    except jsonschema.ValidationError as e:
        return f"the answer does not match the schema: {e.message} at {list(e.absolute_path)}"
    return None


def main(argv):
    if len(argv) < 4 or argv[1] not in ("schemas", "routes", "errors", "answers"):
        print(__doc__, file=sys.stderr)
        return 2
    step, doc, arg = argv[1], argv[2], argv[3]
    if step == "schemas":
        return check_schemas(doc, arg, "--update" in argv[4:])
    if step == "routes":
        return check_routes(doc, arg)
    if step == "errors":
        return check_errors(doc, arg)
    return check_answers(doc, arg)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
