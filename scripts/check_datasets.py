"""Loads swipeset exports with Hugging Face `datasets` and checks them against TRL.

Usage: check_datasets.py MANIFEST.json

The manifest (written by server/tests/export_compat.rs) lists export directories with
their kind, variant, format and expected row count. Each one is loaded the way a user
would -- `load_dataset("parquet" | "json" | "csv", data_files=...)`, and also by the
directory alone, which reads the dataset card's `configs` -- and its features are checked
against the column names and types TRL's KTO and DPO trainers document:

- standard KTO: prompt (string), completion (string), label (bool)
- standard DPO: prompt, chosen, rejected (strings)
- conversational: the same columns as lists of {"role": string, "content": string}

and, after TRL's columns, the metadata columns the manifest names (strings that may be
null; CSV's types are the reader's guess) and, for a conversation, the whole of it as the
first row's prompt.

Exits non-zero, naming the export and the column, at the first mismatch.
"""

import json
import sys

import datasets
import pyarrow as pa

LOADERS = {"parquet": "parquet", "jsonl": "json", "csv": "csv"}
TRL_COLUMNS = {
    "kto": ["prompt", "completion", "label"],
    "dpo": ["prompt", "chosen", "rejected"],
    "ratings": ["prompt", "completion", "label"],
}
MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))


def is_messages(arrow_type):
    if not pa.types.is_list(arrow_type) and not pa.types.is_large_list(arrow_type):
        return False
    item = arrow_type.value_type
    return pa.types.is_struct(item) and {item.field(i).name for i in range(item.num_fields)} == {
        "role",
        "content",
    } and all(pa.types.is_string(item.field(i).type) for i in range(item.num_fields))


def fail(export, message):
    print(f"FAIL {export['dir']}: {message}")
    sys.exit(1)


def check(export):
    data_file = f"{export['dir']}/{export['data_path']}"
    loader = LOADERS[export["format"]]
    ds = datasets.load_dataset(loader, data_files=data_file, split="train")
    by_card = datasets.load_dataset(export["dir"], export.get("config"), split="train")
    if len(ds) != export["rows"]:
        fail(export, f"{len(ds)} rows, expected {export['rows']}")
    if len(by_card) != export["rows"]:
        fail(export, f"loaded through the card's configs: {len(by_card)} rows")
    schema = ds.features.arrow_schema
    names = schema.names
    wanted = TRL_COLUMNS[export["kind"]]
    if export["kind"] != "ratings" and names[: len(wanted)] != wanted:
        fail(export, f"columns start {names[:len(wanted)]}, TRL wants {wanted}")
    for name in wanted:
        if name not in names:
            fail(export, f"column {name} is missing")
        arrow_type = schema.field(name).type
        if name == "label":
            if not pa.types.is_boolean(arrow_type):
                fail(export, f"label is {arrow_type}, TRL wants a bool")
        elif export["variant"] == "conversational":
            if not is_messages(arrow_type):
                fail(export, f"{name} is {arrow_type}, TRL wants {MESSAGES}")
        elif not pa.types.is_string(arrow_type) and not pa.types.is_large_string(arrow_type):
            fail(export, f"{name} is {arrow_type}, TRL wants a string")
    for name in export.get("metadata") or []:
        if name not in names:
            fail(export, f"metadata column {name} is missing; the columns are {names}")
        arrow_type = schema.field(name).type
        if export["format"] != "csv" and not pa.types.is_string(arrow_type) and not pa.types.is_large_string(arrow_type):
            fail(export, f"metadata column {name} is {arrow_type}, expected a string")
    row = ds[0]
    if export["variant"] == "conversational":
        roles = [m["role"] for m in row["prompt"]]
        if roles[-1] != "user":
            fail(export, f"the prompt's last message is from {roles[-1]}")
        if export.get("prompt_messages") and len(roles) != export["prompt_messages"]:
            fail(export, f"the prompt has {len(roles)} messages, expected {export['prompt_messages']}")
        answer = row[wanted[1]]
        if [m["role"] for m in answer] != ["assistant"]:
            fail(export, f"{wanted[1]} is not one assistant message: {answer}")
    print(
        f"ok   {export['kind']:<7} {export['variant']:<14} {export['format']:<7} "
        f"{len(ds):>4} rows  {', '.join(f'{n}: {ds.features[n]}' for n in wanted)}"
    )


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        manifest = json.load(f)
    datasets.disable_progress_bars()
    for export in manifest:
        check(export)
    print(f"{len(manifest)} passed, 0 failed")


if __name__ == "__main__":
    main()
