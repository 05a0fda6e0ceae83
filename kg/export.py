"""Exports for other tools: RDF from the store, the actor graph for Gephi, CSV per class."""

from __future__ import annotations

import contextlib
import csv
import os
import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import OutputError
from kg.prefixes import PREFIXES
from kg.query import id_space, prefixes_of
from kg.store import Store
from kg.text import csv_safe

EXTENSIONS = {
    "turtle": "ttl",
    "ntriples": "nt",
    "jsonld": "jsonld",
    "graphml": "graphml",
    "gexf": "gexf",
    "csv": "csv",
}
ALL = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
# Bookkeeping that a spreadsheet reader does not need.
_SKIP = {
    PREFIXES["kg"] + n
    for n in ("searchKey", "recordFile", "recordLine", "participation", "quantity")
} | {PREFIXES["prov"] + "wasDerivedFrom"}


CSV_MARKER = ".kg-export"  # in a csv folder kg export made: the only kind it replaces


def _atomic_file(target: Path, data: bytes) -> Path:
    """Write a file whole or not at all (a temporary file renamed over it); one line if not."""
    if target.is_dir():
        raise OutputError(f"-o {target} is a folder; this format writes one file")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return target


def _check_csv_folder(folder: Path) -> None:
    """Refuse a csv target that is a file, or a folder of files kg export did not make."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise OutputError(f"-o {folder} is a file; csv writes a folder of files")
    if folder.is_dir() and not (folder / CSV_MARKER).is_file() and any(folder.iterdir()):
        raise OutputError(
            f"-o {folder} is a folder kg export did not make (no {CSV_MARKER}); "
            "give a new or empty folder"
        )


def triples(store: Store) -> list[Any]:
    """Every triple of the graph, sorted (so exports are reproducible)."""
    return sorted(store.raw(ALL), key=str)


# The formats that are one file (csv is a folder of them): these can go to stdout.
SINGLE_FILE = ("turtle", "ntriples", "jsonld", "graphml", "gexf")


def export(store: Store, fmt: str, target: Path) -> Path:
    """Write the graph in fmt to target (a folder for csv); return what was written."""
    if fmt == "csv":
        return csv_tables(store, target)
    return _atomic_file(target, export_bytes(store, fmt))


def export_bytes(store: Store, fmt: str) -> bytes:
    """The graph in a single-file format (turtle, ntriples, jsonld, graphml, gexf)."""
    if fmt in ("turtle", "ntriples"):
        rdf_fmt = ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES
        return (
            ox.serialize(
                triples(store),
                format=rdf_fmt,
                prefixes=prefixes_of(store) if fmt == "turtle" else None,
            )
            or b""
        )
    if fmt == "jsonld":
        return jsonld(store)
    if fmt in ("graphml", "gexf"):
        return actor_graph_file(store, fmt)
    raise ValueError(fmt)


def jsonld(store: Store) -> bytes:
    """JSON-LD of the whole graph, compacted with kg's prefixes as its @context."""
    from rdflib import Graph

    nt = ox.serialize(triples(store), format=ox.RdfFormat.N_TRIPLES) or b""
    graph = Graph().parse(data=nt, format="nt")
    context = prefixes_of(store)
    out = graph.serialize(
        format="json-ld", context=context, auto_compact=True, indent=1, sort_keys=True
    )
    return out.encode("utf-8")


def actor_graph_file(store: Store, fmt: str) -> bytes:
    """GraphML or GEXF 1.2 (dynamic, dated edges) of the actor graph."""
    import io

    import networkx as nx

    from kg.analytics import actor_network

    multi = actor_network(store)
    graph = nx.MultiGraph()
    graph.add_nodes_from(
        sorted(
            (_xml_safe(n), {k: _xml_safe(v) for k, v in d.items()})
            for n, d in multi.nodes(data=True)
        )
    )
    for i, (a, b, data) in enumerate(
        sorted(multi.edges(data=True), key=lambda e: (e[0], e[1], sorted(e[2].items())))
    ):
        attrs = {k: _xml_safe(v) for k, v in data.items() if v is not None}
        if fmt == "gexf":
            attrs["id"] = str(i)
        graph.add_edge(_xml_safe(a), _xml_safe(b), key=i, **attrs)
    buf = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(graph, buf, encoding="utf-8", prettyprint=True)
    else:
        # Dynamic mode with ISO dates: Gephi's timeline filters edges by their dates.
        graph.graph["mode"] = "dynamic"
        nx.write_gexf(graph, buf, encoding="utf-8", version="1.2draft")
        # networkx stamps today's date in <meta>; drop it so the same facts give the same file.
        return re.sub(rb' lastmodifieddate="[^"]*"', b"", buf.getvalue(), count=1)
    return buf.getvalue()


# What XML 1.0 does not allow (its Char production): most C0 controls, surrogates, U+FFFE
# and U+FFFF. The build refuses them in facts; a store built otherwise still gives
# well-formed GraphML and GEXF, with U+FFFD in their place.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(value: Any) -> Any:
    """Return value with the characters XML 1.0 forbids replaced by U+FFFD (strings only)."""
    return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def csv_tables(store: Store, folder: Path) -> Path:
    """One CSV per class: a row per node, a column per property, names for IRIs."""
    all_triples = triples(store)
    space = id_space(store)  # the entities' namespace: each is a row
    labels: dict[str, str] = {}
    lines: dict[str, tuple[str, str]] = {}
    cited: dict[str, str] = {}
    for t in all_triples:
        p = t.predicate.value
        if p == PREFIXES["skos"] + "prefLabel":
            labels.setdefault(t.subject.value, t.object.value)
        elif p == PREFIXES["kg"] + "line":
            lines[t.subject.value] = (lines.get(t.subject.value, ("", ""))[0], t.object.value)
        elif p == PREFIXES["kg"] + "citedSource":
            cited[t.subject.value] = t.object.value
    files: dict[str, str] = {}
    for t in all_triples:
        if t.predicate.value == PREFIXES["kg"] + "file":
            files[t.subject.value] = t.object.value
    classes: dict[str, set[str]] = defaultdict(set)
    props: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in all_triples:
        s = t.subject.value
        if not s.startswith(space) or not isinstance(t.subject, ox.NamedNode):
            continue
        p = t.predicate.value
        if p == PREFIXES["rdf"] + "type":
            classes[_local(t.object.value)].add(s)
            continue
        if p in _SKIP:
            continue
        o = t.object
        if p == PREFIXES["kg"] + "evidence":
            doc = files.get(cited.get(o.value, ""), "")
            text = f"{doc}:{lines.get(o.value, ('', '?'))[1]}"
            props[s]["evidence"].append(text)
            continue
        text = labels.get(o.value, o.value) if isinstance(o, ox.NamedNode) else o.value
        props[s][_local(p)].append(text)
    _check_csv_folder(folder)
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    old = folder.with_name(f".{folder.name}.{os.getpid()}.old")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        (tmp / CSV_MARKER).write_text("Written by `kg export --format csv`.\n", encoding="utf-8")
        _write_tables(tmp, classes, props, labels)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
    except OSError as exc:
        if old.exists() and not folder.exists():
            os.replace(old, folder)  # put the previous export back
        raise OutputError(f"cannot write {folder}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return folder


def _write_tables(
    tmp: Path,
    classes: dict[str, set[str]],
    props: dict[str, dict[str, list[str]]],
    labels: dict[str, str],
) -> None:
    """Write one CSV file per class into tmp."""
    for cls, members in sorted(classes.items()):
        if cls in ("Citation", "Participation"):
            continue
        columns = sorted({c for m in members for c in props[m]} - {"prefLabel"})
        with (tmp / f"{cls}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["iri", "label", *columns])
            for m in sorted(members):
                cells = [
                    m,
                    labels.get(m, ""),
                    *("; ".join(sorted(props[m].get(c, []))) for c in columns),
                ]
                writer.writerow([csv_safe(c) for c in cells])


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
