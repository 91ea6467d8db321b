#!/usr/bin/env python3
"""Extracts the workflow definitions of the Serverless Workflow 0.8 examples (examples.md) into
test/definition/examples/ as fixture files, one per definition. Run once; the fixtures are committed.
Usage: python3 scripts/extract-spec-examples.py ../shared/reference/serverless-workflow-0.8/examples.md"""
import json, re, sys, pathlib

src = pathlib.Path(sys.argv[1]).read_text()
out = pathlib.Path(__file__).resolve().parent.parent / 'test' / 'definition' / 'examples'
out.mkdir(parents=True, exist_ok=True)
sections = re.split(r'^### ', src, flags=re.M)[1:]
n = 0
for sec in sections:
    title = sec.splitlines()[0].strip()
    slug = re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-').replace('-example', '')
    blocks = re.findall(r'```(json|yaml)\n(.*?)```', sec, flags=re.S)
    jsons = [b for lang, b in blocks if lang == 'json' and '"specVersion"' in b]
    yamls = [b for lang, b in blocks if lang == 'yaml' and re.search(r'^specVersion:', b, re.M)]
    chosen = [('json', b) for b in jsons] or [('yaml', b) for b in yamls]
    if not chosen:
        continue
    n += 1
    for i, (lang, body) in enumerate(chosen):
        suffix = '' if len(chosen) == 1 else f'-{i + 1}'
        name = f'{n:02d}-{slug}{suffix}.{lang}'
        (out / name).write_text(body)
        print(name)

# External definition files the examples reference, stored under the names they use.
def block_after(marker, lang):
    at = src.index(marker)
    return re.search(r'```\s*' + lang + r'\n(.*?)```', src[at:], flags=re.S).group(1)

externals = {
    'functiondefs.json': block_after('* functiondefs.json', 'json'),
    'eventdefs.yml': block_after('* eventdefs.yml', 'yaml'),
    'orderevents.yml': block_after('#### Workflow Event Definition', 'yaml'),
    'orderfunctions.yml': block_after('#### Workflow Function Definition', 'yaml'),
}
for name, body in externals.items():
    (out / name).write_text(body)
    print(name)
