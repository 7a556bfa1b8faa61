#!/usr/bin/env python3
"""Generates pyyaml_goldens.json and pystr_goldens.json for package prompt's
tests: what PyYAML's safe_dump (as MLflow writes parameters.yaml) and
Python's str()/json.dumps make of tricky values. Needs PyYAML (6.0.x);
run from this directory: python3 gen_goldens.py"""
import json
import yaml

strings = [
    "", "plain", "Translate {{ text }} into {{language}} please.", "64", "0.5", "['END']", "true", "yes", "No",
    "null", "~", "1e3", "1.0e+3", "0x1F", "0o17", "017", "12:30:45", "2026-12-07", "2026-12-07 10:00:00", "<<", "=",
    "- dash", "-dash", "key: value", "key:value", "a #comment", "a#b", "#hash", "?q", "? q", ":colon", "@at", "`tick",
    "!bang", "&amp", "*star", "|pipe", ">gt", "%pct", "'single'", '"double"', "it's", "--- doc", "... end",
    " leading", "trailing ", "two  spaces", "line1\nline2", "line1\n\nline3", "\nleading break", "trailing break\n",
    "break\n space", "tab\there", "caf\u00e9", "emoji \U0001F600", "bell\x07", "del\x7f", "cr\r\nlf",
    "nbsp\u00a0x", "bom\ufeffx", "line sep\u2028x",
    "A long prompt template that goes on and on past the eighty column limit so PyYAML folds it onto the next line, {{ var }} and more words after it to fold twice over the width.",
    "A long 'quoted' prompt: with a colon and space so it must be quoted, and it goes on past eighty columns to be folded by PyYAML's writer, yes indeed, twice over the width limit.",
    "A long prompt\nwith line breaks and a line that itself is longer than eighty columns so that it must fold somewhere in the middle\nend",
    "A long prompt with a tab\tand unicode caf\u00e9 that goes on past the eighty columns so the double-quoted writer folds it with a backslash at the end.",
    "averyveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutspaces and then more",
    "\x0e" * 16 + "0", " \n", "a \nb", "a  \n\n b", "\x01" * 30 + " a b c " + "\u00e9" * 20, "\t" * 50,
    "x" * 79 + " y z", "x" * 80 + " y", "x" * 81 + "  two spaces",
]

yaml_cases = []
for s in strings:
    doc = {"model_parameters": {"k": s}, "model_route": s, "prompt_parameters": {}, "prompt_template": s}
    yaml_cases.append({"value": s, "yaml": yaml.safe_dump(doc, default_flow_style=False)})
    if s and "\n" not in s and len(s) < 100:
        yaml_cases.append({"key": s, "yaml": yaml.safe_dump({s: "v"}, default_flow_style=False)})

json_values = ['0.5', '64', '["END"]', '"text"', 'true', 'false', 'null', '1e16', '1e15', '1.5e16', '0.0001', '0.00001',
               '1.0', '100', '-0', '-0.0', '1E2', '123456789012345678901234567890', '3.141592653589793', '[1, 2.5, "a", null]',
               '{"a": 1, "b": ["x", true]}', '"it\'s"', '"it\'s \\"q\\""', '"tab\\tnl\\n"', '"caf\\u00e9"', '"\\u0007"',
               '"\\ud83d\\ude00"', '[]', '{}', '1e400', '-1e400', '2.5e-7', '[["nested"]]']
str_cases = []
for v in json_values:
    str_cases.append({"json": v, "str": str(json.loads(v)), "dumps": json.dumps(json.loads(v))})

with open("pyyaml_goldens.json", "w") as f:
    json.dump(yaml_cases, f, indent=1)
    f.write("\n")
with open("pystr_goldens.json", "w") as f:
    json.dump(str_cases, f, indent=1)
    f.write("\n")
