"""`kg view`: the pages it writes, checked as files and in a real (headless) Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.views.render import render, write
from tests.browser import Opened, click_node
from tests.conftest import BuildRunner
from tests.synthetic import synthetic_view

XSS = '<img src=x onerror="window.__xss=1">'
XSS_ALIAS = "<script>window.__xss=2</script>"


@pytest.fixture(scope="module")
def views(shipped_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Write the whole graph and a few focused views of the shipped facts once."""
    out = tmp_path_factory.mktemp("views")
    store = str(shipped_build / "store")
    made = {}
    for name, args in {
        "whole": [],
        "ego": ["--ego", "muttaqi", "--depth", "2"],
        "energy": ["--topic", "energy"],
        "august": ["--from", "2022-08", "--to", "2022-08"],
        "path": ["--path", "Mehrabian", "Saif al-Adel"],
    }.items():
        path = out / f"{name}.html"
        result = CliRunner().invoke(main, ["--store", store, "view", *args, "-o", str(path)])
        assert result.exit_code == 0, result.output
        assert f"wrote {path}" in result.stdout
        made[name] = path
    return made


def data_of(opened: Opened) -> Any:
    return opened.page.evaluate("() => window.kgData")


def assert_clean(opened: Opened) -> None:
    assert opened.console_errors == [], opened.console_errors
    assert opened.page_errors == [], opened.page_errors
    assert opened.requests == [], opened.requests
    assert opened.dialogs == [], opened.dialogs


# ------------------------------------------------------------------------------ as files
def test_page_is_self_contained(views: dict[str, Path]) -> None:
    html = views["whole"].read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html, re.I)
    assert not re.search(r"(src|href)=[\"']?https?:", html, re.I)
    assert "default-src 'none'" in html
    assert "vis.Network" in html


def test_same_facts_same_page(shipped_build: Path, tmp_path: Path) -> None:
    pages = []
    for name in ("a.html", "b.html"):
        result = CliRunner().invoke(
            main, ["--store", str(shipped_build / "store"), "view", "-o", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        pages.append((tmp_path / name).read_bytes())
    assert pages[0] == pages[1]
    # Written through a temporary file renamed into place: nothing else is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.html"]


def test_view_refuses_too_many_nodes(shipped_build: Path, tmp_path: Path) -> None:
    before = tmp_path / "keep.html"
    before.write_text("old")
    result = CliRunner().invoke(
        main,
        ["--store", str(shipped_build / "store"), "view", "--max-nodes", "10", "-o", str(before)],
    )
    assert result.exit_code == 1
    assert "more than --max-nodes 10; narrow it with --ego NAME, --topic" in result.stderr
    assert before.read_text() == "old"


def test_view_unknown_names(shipped_build: Path) -> None:
    store = str(shipped_build / "store")
    result = CliRunner().invoke(main, ["--store", store, "view", "--ego", "mutaqi"])
    assert result.exit_code == 1 and "did you mean 'Amir Khan Muttaqi'" in result.stderr
    result = CliRunner().invoke(main, ["--store", store, "view", "--topic", "enrgy"])
    assert result.exit_code == 1 and "no topic named 'enrgy'" in result.stderr


# ------------------------------------------------------------------------------ in Chromium
def test_whole_graph_in_chromium(views: dict[str, Path], open_page: Any) -> None:
    opened = open_page(views["whole"])
    page = opened.page
    data = data_of(opened)
    assert page.evaluate("() => window.kgNetwork.body.data.nodes.length") == len(data["nodes"])
    assert page.evaluate("() => window.kgNetwork.body.data.edges.length") == len(data["edges"])
    assert len(data["nodes"]) > 100 and len(data["edges"]) > 150
    labels = {n["label"] for n in data["nodes"]}
    assert {
        "Amir Khan Muttaqi",
        "Bahadur Aminian",
        "Taliban",
        "Iran",
        "Helmand River Water Treaty",
        "Chabahar Port",
    } <= labels
    legend = page.inner_text("#legend")
    assert "People" in legend and "Agreements" in legend and "met" in legend
    assert_clean(opened)


def test_selecting_a_node_shows_its_card(views: dict[str, Path], open_page: Any) -> None:
    opened = open_page(views["whole"])
    page = opened.page
    node = next(n for n in data_of(opened)["nodes"] if n["label"] == "Bahadur Aminian")
    click_node(page, node["id"])
    details = page.inner_text("#details")
    assert "Bahadur Aminian" in details
    assert "Amir Khan Muttaqi" in details and "(line 19)" in details
    assert "Iranian Ambassador to Afghanistan" in details
    assert "Line numbers refer to 000_278ee63bc767467f.txt." in details
    assert_clean(opened)


def test_several_meetings_one_edge_with_every_meeting(
    views: dict[str, Path], open_page: Any
) -> None:
    opened = open_page(views["whole"])
    data = data_of(opened)
    ids = {n["label"]: n["id"] for n in data["nodes"]}
    pair = {ids["Iran"], ids["Taliban"]}
    # (a claim between them, such as the weapons report, is an edge of its own)
    edges = [e for e in data["edges"] if {e["from"], e["to"]} == pair and not e.get("claim")]
    assert len(edges) == 1
    edge = edges[0]
    # Iran and the Taliban as such met in October 2021, January 2022 (line 13)…
    assert edge["label"].startswith("met ×2"), edge["label"]
    tip = "\n".join(edge["tip"])
    assert "2021-10" in tip and "2022-01" in tip and "line 13" in tip
    assert edge["width"] > 2


@pytest.mark.slow
def test_focused_views(views: dict[str, Path], open_page: Any) -> None:
    ego = data_of(open_page(views["ego"]))
    labels = {n["label"] for n in ego["nodes"]}
    assert {"Amir Khan Muttaqi", "Bahadur Aminian"} <= labels
    assert "Saif al-Adel" not in labels
    energy = data_of(open_page(views["energy"]))
    labels = {n["label"] for n in energy["nodes"]}
    assert {"Da Afghanistan Bank", "Joint Iran–Afghanistan refineries"} <= labels
    assert "Qalandar Ebad" not in labels
    august = data_of(open_page(views["august"]))
    labels = {n["label"] for n in august["nodes"]}
    assert {"Abdul Latif Mansoor", "Qalandar Ebad", "Alireza Bikdeli"} <= labels
    assert "Shahabuddin Delawar" not in labels  # February 2023


def test_path_is_highlighted(views: dict[str, Path], open_page: Any) -> None:
    opened = open_page(views["path"])
    data = data_of(opened)
    assert "path Ali Akbar Mehrabian → Saif al-Adel" in data["note"]
    lit = [n["label"] for n in data["nodes"] if n["borderWidth"] == 4]
    assert "Ali Akbar Mehrabian" in lit and "Saif al-Adel" in lit
    assert sum(1 for e in data["edges"] if e["highlight"]) == len(lit) - 1
    assert_clean(opened)


def test_hostile_names_render_as_text(
    build_mini: BuildRunner, mini: Path, tmp_path: Path, open_page: Any
) -> None:
    facts = mini / "facts" / "mini.yaml"
    text = facts.read_text()
    text = text.replace(
        "    name: Bahadur Aminian\n",
        f"    name: '{XSS}'\n    aliases: ['{XSS_ALIAS}']\n"
        f"    note: '\"></script><script>window.__xss=3</script>'\n",
    )
    facts.write_text(text)
    assert build_mini().exit_code == 0
    page_file = tmp_path / "xss.html"
    result = CliRunner().invoke(
        main, ["--store", str(mini / "build" / "store"), "view", "-o", str(page_file)]
    )
    assert result.exit_code == 0, result.output
    assert XSS not in page_file.read_text(encoding="utf-8")  # escaped in the file
    opened = open_page(page_file)
    page = opened.page
    node = next(n for n in data_of(opened)["nodes"] if n["label"] == XSS)
    click_node(page, node["id"])
    details = page.inner_text("#details")
    assert XSS in details and XSS_ALIAS in details
    assert page.evaluate("() => window.__xss") is None
    assert (
        page.evaluate("() => document.querySelectorAll('#details img, #details script').length")
        == 0
    )
    assert_clean(opened)


# ------------------------------------------------------------------------------ at size
@pytest.mark.slow
def test_five_thousand_nodes_open_drag_and_zoom(tmp_path: Path, open_page: Any) -> None:
    page_file = write(synthetic_view(5000), tmp_path / "big.html")
    opened = open_page(page_file, timeout_ms=120_000)
    page = opened.page
    assert page.evaluate("() => window.kgNetwork.body.data.nodes.length") == 5000
    assert page.evaluate("() => window.kgNetwork.body.data.edges.length") >= 5000
    box = page.locator("#net").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    scale = page.evaluate("() => window.kgNetwork.getScale()")
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -600)
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.kgNetwork.getScale()") > scale
    before = page.evaluate("() => window.kgNetwork.getViewPosition()")
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 160, steps=8)
    page.mouse.up()
    after = page.evaluate("() => window.kgNetwork.getViewPosition()")
    assert after != before
    assert_clean(opened)


def test_render_is_deterministic_at_size() -> None:
    assert render(synthetic_view(1200)) == render(synthetic_view(1200))


def test_empty_view_renders(tmp_path: Path, open_page: Any) -> None:
    from kg.views import View

    page_file = write(View({}, [], title="empty"), tmp_path / "empty.html")
    opened = open_page(page_file)
    assert data_of(opened)["nodes"] == []
    assert_clean(opened)


def test_view_errors(shipped_build: Path, tmp_path: Path) -> None:
    store = str(shipped_build / "store")
    out = tmp_path / "v.html"
    meeting = CliRunner().invoke(
        main,
        [
            "--store",
            store,
            "view",
            "--ego",
            "Muttaqi and Aminian agree on joint trade delegations",
            "-o",
            str(out),
        ],
    )
    assert meeting.exit_code == 1
    assert (
        "error: Muttaqi and Aminian agree on joint trade delegations is drawn as a "
        "meeting, not a node; pick an actor"
    ) in meeting.stderr
    # Muttaqi has no energy meeting, so the energy view leaves out the chain from him.
    cut = CliRunner().invoke(
        main,
        [
            "--store",
            store,
            "view",
            "--topic",
            "energy",
            "--path",
            "muttaqi",
            "Iran",
            "-o",
            str(out),
        ],
    )
    assert cut.exit_code == 1
    assert cut.stderr == (
        "error: the chain from Amir Khan Muttaqi to Iran (see kg path) runs through Amir Khan "
        "Muttaqi, Arrangement to set up joint trade delegations, which this view leaves out; "
        "widen or drop --ego, --topic, --from/--to\n"
    )
    assert not out.exists()


def _same_view(a: Any, b: Any) -> None:
    from kg.views.render import _item_order

    assert a.nodes == b.nodes
    assert sorted(a.items, key=_item_order) == sorted(b.items, key=_item_order)
    assert a.note == b.note


@pytest.mark.slow
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_ego_view_built_outward_equals_the_cut_whole_view(shipped_build: Path, depth: int) -> None:
    """kg view --ego builds from the center outward; for every node of the shipped graph it
    must give exactly the view cut from the whole graph's."""
    from kg import views
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    whole = views.build_view(store)
    assert len(whole.nodes) > 100
    for center in sorted(whole.nodes):
        _same_view(views.ego_view(store, center, depth), views.ego(whole, center, depth))


@pytest.mark.slow
def test_ego_view_equals_the_cut_whole_view_on_synthetic_facts(tmp_path: Path) -> None:
    """The same on generated facts with many meetings per person (posts, sides, topics)."""
    import subprocess
    import sys

    from kg import views
    from kg.store import EmbeddedStore

    root = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    subprocess.run(
        [sys.executable, str(root / "benchmarks" / "generate.py"), "3000", str(data)], check=True
    )
    result = CliRunner().invoke(
        main,
        [
            "build",
            "--facts",
            str(data / "facts"),
            "--sources",
            str(data / "sources"),
            "--out",
            str(tmp_path / "build"),
        ],
    )
    assert result.exit_code == 0, result.output
    store = EmbeddedStore.open(tmp_path / "build" / "store")
    whole = views.build_view(store)
    centers = sorted(whole.nodes)[:: max(1, len(whole.nodes) // 40)]
    for center in centers:
        for depth in (1, 2):
            _same_view(views.ego_view(store, center, depth), views.ego(whole, center, depth))


def test_view_without_pyvis_says_so_and_keeps_the_old_page(
    shipped_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    out = tmp_path / "v.html"
    args = ["--store", str(shipped_build / "store"), "view", "--ego", "muttaqi", "-o", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    before = out.read_bytes()
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyvis" else real(name, *a)
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip() == (
        "error: pyvis is not installed (the page inlines the vis-network script it ships): "
        "pip install pyvis"
    )
    assert out.read_bytes() == before


def test_make_view_is_what_kg_view_draws(shipped_build: Path, tmp_path: Path) -> None:
    """The library decides what to draw: the CLI's page is make_view's, rendered."""
    from kg import views
    from kg.cli.view import view_cmd
    from kg.store import EmbeddedStore

    cap = next(p for p in view_cmd.params if p.name == "max_nodes")
    assert cap.default == views.MAX_NODES, cap.default  # written out there to keep kg --help light
    out = tmp_path / "ego.html"
    args = ["--store", str(shipped_build / "store"), "view", "--ego", "muttaqi", "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--depth", "2"])
    assert result.exit_code == 0, result.output
    store = EmbeddedStore.open(shipped_build / "store")
    assert out.read_text(encoding="utf-8") == render(views.make_view(store, "muttaqi", 2))
    with pytest.raises(views.ViewError, match="more than --max-nodes 3"):
        views.make_view(store, max_nodes=3)


def test_whole_graph_page_is_titled_by_its_sources(
    build_mini: BuildRunner, mini: Path, tmp_path: Path
) -> None:
    """The title names the dataset (its sources' dcterms:title), escaped; an ego's, its center."""
    import html

    title = "Notes on <Iran> & the Taliban"
    facts = mini / "facts" / "mini.yaml"
    facts.write_text(facts.read_text().replace("title: Mini source", f"title: '{title}'"))
    assert build_mini().exit_code == 0
    store = ["--store", str(mini / "build" / "store"), "view"]
    for args, want in (([], f"kg: {title}"), (["--ego", "muttaqi"], "kg: Amir Khan Muttaqi")):
        page = tmp_path / "v.html"
        result = CliRunner().invoke(main, [*store, *args, "-o", str(page)])
        assert result.exit_code == 0, result.output
        text = page.read_text(encoding="utf-8")
        assert f"<title>{html.escape(want, quote=False)}</title>" in text, text[:600]


def test_claims_are_drawn_apart_and_can_be_hidden(views: dict[str, Path], open_page: Any) -> None:
    """The weapons report (line 11) and Iran's views (7, 21) are dotted purple claim edges,
    in the legend with a toggle, never grey stated relations; the card says who asserts."""
    opened = open_page(views["whole"])
    page = opened.page
    data = data_of(opened)
    claimed = [e for e in data["edges"] if e.get("claim")]
    tips = [line for e in claimed for line in e["tip"]]
    assert any(t.startswith("Reported by unnamed sources: Iran supplied weapons to Taliban") for t in tips), tips
    assert any(t.startswith("Iran's view: Iran was concerned about Dam") for t in tips), tips
    stated = [line for e in data["edges"] if not e.get("claim") for line in e["tip"]]
    assert not any("supplied weapons" in t for t in stated), stated
    assert all(e["dashes"] == [2, 6] for e in claimed)
    assert "claim, not a plain fact" in page.inner_text("#legend")
    ids = [e["id"] for e in claimed]
    shown = "ids => ids.map(id => window.kgNetwork.body.data.edges.get(id).hidden === true)"
    assert page.evaluate(shown, ids) == [False] * len(ids)
    page.click("#toggle-claims")
    assert page.evaluate(shown, ids) == [True] * len(ids)
    iran = next(n for n in data["nodes"] if n["label"] == "Iran")
    click_node(page, iran["id"])
    details = page.inner_text("#details")
    assert "claimed, not stated" in details.lower() and "Reported by unnamed sources" in details
    assert_clean(opened)


# ------------------------------------------------------------------------------ cards
def _card_entries(card: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(s, e["text"], e["cite"]) for s in ("meetings", "relations", "claims") for e in card[s]]


def test_cards_list_each_fact_once(views: dict[str, Path]) -> None:
    """A statement about a meeting was listed once per actor of the meeting (9 of
    Aminian's 22 card items were repeats): every card of every shipped page lists each fact
    once, and a fact about a meeting names what it links."""
    import json

    checked = 0
    for name, page in sorted(views.items()):
        text = page.read_text(encoding="utf-8")
        raw = text.split('<script type="application/json" id="kg-data">', 1)[1]
        data = json.loads(raw.split("</script>", 1)[0])
        for node, card in data["cards"].items():
            entries = _card_entries(card)
            repeated = {e for e in entries if entries.count(e) > 1}
            assert not repeated, (name, node, repeated)
            checked += len(entries)
    assert checked > 500, checked
    whole = views["whole"].read_text(encoding="utf-8")
    raw = whole.split('id="kg-data">', 1)[1].split("</script>", 1)[0]
    cards = json.loads(raw)["cards"]
    aminian = cards["https://w3id.org/kg/id/person/bahadur-aminian"]
    texts = [t for _, t, _ in _card_entries(aminian)]
    assert (
        "2022-07-16: Muttaqi and Aminian agree on joint trade delegations — concerns → "
        "Arrangement to set up joint trade delegations"
    ) in texts, texts
    assert (
        "2022-08-20: Ebad and Aminian discuss hospitals and cancer-treatment training — with "
        "Qalandar Ebad"
    ) in texts, texts
    # Who took part is the meeting itself, not also a "participant" relation beside it.
    assert not any(t.endswith(("participant", "participant → Bahadur Aminian")) for t in texts)
    tehran = [t for _, t, _ in _card_entries(cards["https://w3id.org/kg/id/place/tehran"])]
    oil = "2022-07-23: Afghan delegation signs oil import contract in Tehran — place → Tehran"
    assert tehran.count(oil) == 1, tehran


@pytest.mark.slow
def test_show_lists_each_fact_once(shipped_build: Path) -> None:
    """kg show of every drawn entity: no statement, event or role twice."""
    import json

    from kg import lookups
    from kg.names import Entity
    from kg.store import EmbeddedStore
    from kg.views import build_view

    store = EmbeddedStore.open(shipped_build / "store")
    nodes = build_view(store).nodes
    assert len(nodes) > 100
    for iri, node in sorted(nodes.items()):
        card = lookups.show(store, Entity(iri, node.label, node.type))
        for part in ("statements", "events", "roles"):
            rows = [json.dumps(r, sort_keys=True) for r in card[part]]
            assert len(rows) == len(set(rows)), (node.label, part, rows)
    result = CliRunner().invoke(main, ["--store", str(shipped_build / "store"), "show", "aminian"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(("←", "2022"))]
    assert len(lines) == len(set(lines)) >= 8, lines


# ------------------------------------------------------------------------------ search
def _search(page: Any, text: str) -> str:
    """Type text in the search box, press Enter; return the card's heading."""
    page.fill("#search", text)
    page.press("#search", "Enter")
    return str(page.inner_text("#details h2"))


def test_search_selects_what_kg_names(views: dict[str, Path], open_page: Any) -> None:
    """The search box matched labels by substring, so "Iran" and "Taliban" selected an
    agreement; it now matches as kg does: the state, then the rest."""
    opened = open_page(views["whole"])
    page = opened.page
    assert _search(page, "Iran") == "Iran"
    assert page.inner_text("#details .type").startswith("State")
    assert _search(page, "Taliban") == "Taliban"
    assert page.inner_text("#details .type").startswith("De facto authority")
    assert _search(page, "  TALIBAN ") == "Taliban"
    assert _search(page, "aminian") == "Bahadur Aminian"  # a surname
    assert _search(page, "Kāzemi-QOMI") == "Hassan Kazemi Qomi"  # accents, case, hyphen
    assert _search(page, "Islamic Emirate") == "Taliban"  # an alias
    assert _search(page, "mutt") == "Amir Khan Muttaqi"  # half typed
    # Two people named Haqqani: the first, then Enter again for the next.
    assert _search(page, "haqqani") == "Abdul Baqi Haqqani"
    assert "1 of 2 matches" in page.inner_text("#found")
    page.press("#search", "Enter")
    assert page.inner_text("#details h2") == "Sirajuddin Haqqani"
    page.fill("#search", "no such name")
    page.press("#search", "Enter")
    assert page.inner_text("#found") == "no match"
    assert_clean(opened)


@pytest.mark.slow
def test_search_agrees_with_name_matching(
    shipped_build: Path, views: dict[str, Path], open_page: Any
) -> None:
    """Every search key of every drawn node, typed in the box, selects what `kg show` would
    show; where kg finds several, the box's first is one of them."""
    from kg.names import UnresolvedName, resolve
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    opened = open_page(views["whole"])
    nodes = {n["id"]: n for n in data_of(opened)["nodes"]}
    typed = sorted({k for n in nodes.values() for k in n["keys"]})
    assert len(typed) > 200, len(typed)
    firsts = opened.page.evaluate("ks => ks.map(k => window.kgSearch(k)[0])", typed)
    unique = 0
    for key, first in zip(typed, firsts, strict=True):
        try:
            wanted = {resolve(store, key).iri}
        except UnresolvedName as exc:
            wanted = {e.iri for e in exc.candidates}
        if wanted & nodes.keys():
            assert first in wanted, (key, first, wanted)
            unique += len(wanted) == 1
    assert unique > 150, unique


FOLDED_NAMES = [
    "Kāzemi QOMI",
    "al-Zawahiri",
    "Straße STRAẞE",
    "ΣΊΣΥΦΟΣ",
    "ＩＲＡＮ",
    "snake_case--name",
    "امیرخان متقی",
    "محمد\u200cرضا",  # a zero-width non-joiner inside a Persian name
    "اَمیرخان مُتقی",  # with short-vowel marks
    "سراج‌الدين حقاني",
    "ښاغلی ځدراڼ",  # Pashto letters
    "Ꮳ ꮳ ᲀ",
]


def test_search_folds_names_as_kg_does(views: dict[str, Path], open_page: Any) -> None:
    """The page folds what is typed as kg.text.normalize does: accents, case, punctuation,
    Persian and Pashto script."""
    from kg.text import normalize

    opened = open_page(views["ego"])
    got = opened.page.evaluate("ns => ns.map(n => window.kgFold(n))", FOLDED_NAMES)
    assert got == [normalize(n) for n in FOLDED_NAMES]
    assert got[:3] == ["kazemi qomi", "al zawahiri", "strasse strasse"]


@pytest.mark.slow
def test_search_folds_every_character_as_kg_does(
    views: dict[str, Path], open_page: Any
) -> None:
    """The same for every assigned code point, one at a time."""
    import unicodedata

    from kg.text import normalize

    opened = open_page(views["ego"])
    points = [
        cp for cp in range(0x110000) if unicodedata.category(chr(cp)) not in ("Cn", "Cs", "Co")
    ]
    assert len(points) > 100_000
    got = opened.page.evaluate(
        "cps => cps.map(cp => window.kgFold(String.fromCodePoint(cp)))", points
    )
    differ = [
        (hex(cp), normalize(chr(cp)), g)
        for cp, g in zip(points, got, strict=True)
        if normalize(chr(cp)) != g
    ]
    assert differ == [], differ[:20]


@pytest.mark.slow
def test_search_finds_persian_and_pashto_names(
    build_mini: BuildRunner, mini: Path, tmp_path: Path, open_page: Any
) -> None:
    """A person found by the Persian or Pashto spelling of the name, whole or in part, with
    or without short-vowel marks; `kg show` finds the same person by the same text."""
    facts = mini / "facts" / "mini.yaml"
    facts.write_text(
        facts.read_text().replace(
            "    name: Amir Khan Muttaqi\n",
            "    name: Amir Khan Muttaqi\n    name_fa: امیرخان متقی\n    name_ps: امير خان متقي\n",
        )
    )
    assert build_mini().exit_code == 0
    store = str(mini / "build" / "store")
    page_file = tmp_path / "fa.html"
    result = CliRunner().invoke(main, ["--store", store, "view", "-o", str(page_file)])
    assert result.exit_code == 0, result.output
    opened = open_page(page_file)
    page = opened.page
    for typed in ("امیرخان متقی", "متقی", "اَمیرخان مُتقی", "امير خان متقي", "متقي", "Muttaqi"):
        assert _search(page, typed) == "Amir Khan Muttaqi", typed
        shown = CliRunner().invoke(main, ["--store", store, "show", typed])
        assert shown.exit_code == 0 and shown.output.startswith("Amir Khan Muttaqi"), (
            typed,
            shown.output,
        )
    assert _search(page, "Aminian") == "Bahadur Aminian"
    assert_clean(opened)
