"""Build the example item bank (item_bank/items/*.yaml) from its authoring sources.

The example bank was authored in two ways:

* hand-written conceptual items in ``item_bank/tools/source/da1.yaml`` ... ``da6.yaml`` (stem, the
  text of the key, why it is right, and each distractor with why it is wrong);
* item models with variable parts in ``item_bank/tools/item_models.py`` (computation items whose
  key and error-based distractors are computed, and re-checked independently).

This script turns both into item files: it assigns bank-wide ids (DA-0001, ...), option letters
(numeric options in ascending order; other options placed so that key positions are balanced over
the bank), statuses, authors, reviewers, dates, expected response times and a rationale that
explains the key and every distractor. It then runs the self-check (every generated key recomputed
independently, every option distinct, enemies mutual, sets complete) and writes the files.

Usage::

    python item_bank/tools/author_items.py            # build in memory, self-check, compare with
                                                      # the files on disk (exit 1 on a problem)
    python item_bank/tools/author_items.py --write    # (re)write items/ and sets/

Writing keeps the ``irt``, ``stats``, ``exposure`` and ``history`` blocks of files that already
exist, so that re-running the script after a calibration does not lose parameters. Everything is
seeded (``--seed``, default 2026): the same sources give byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
BANK = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(BANK.parent))

from item_models import SETS, Draft, check_draft, generate, number_of  # noqa: E402

OUTCOMES = ["DA1", "DA2", "DA3", "DA4", "DA5", "DA6"]
LETTERS = "ABCDE"
SEED = 2026

# fictional item writers and reviewers of the example program
WRITERS = {
    "DA1": ("Amara Okafor", "Lukas Brandt"),
    "DA2": ("Sofia Iyer", "Tomás Castillo"),
    "DA3": ("Rin Nakamura", "Amara Okafor"),
    "DA4": ("Hana Haddad", "Lukas Brandt"),
    "DA5": ("Tomás Castillo", "Rin Nakamura"),
    "DA6": ("Lukas Brandt", "Sofia Iyer"),
}
REVIEWERS = ["Dr. Elena Petrova", "Marcus Lee", "Priya Raman", "Jonas Weber", "Grace Mensah"]
LEVEL_SECONDS = {
    "remember": 0,
    "understand": 10,
    "apply": 25,
    "analyze": 30,
    "evaluate": 35,
    "create": 40,
}
# per outcome: how many items of each non-operational status (the rest are operational)
STATUS_PLAN = {
    "DA1": {"pretest": 4, "draft": 2, "review": 1, "retired": 1},
    "DA2": {"pretest": 4, "draft": 2, "approved": 1, "retired": 1},
    "DA3": {"pretest": 4, "draft": 2, "review": 1, "retired": 1},
    "DA4": {"pretest": 3, "draft": 2, "approved": 1, "retired": 1},
    "DA5": {"pretest": 4, "draft": 2, "review": 1, "retired": 1},
    "DA6": {"pretest": 3, "draft": 2, "approved": 1, "retired": 1},
}
RUBRIC_STATUS = {
    "DA1": "pretest",
    "DA2": "pretest",
    "DA3": "operational",
    "DA4": "operational",
    "DA5": "operational",
    "DA6": "pretest",
}
PRESERVED = ("irt", "stats", "exposure", "history", "updated")
LAST_DAY = date(2026, 11, 20)  # no authoring date after this


# ---------------------------------------------------------------------------------------------
# sources
# ---------------------------------------------------------------------------------------------
def load_sources() -> list[Draft]:
    """The hand-written drafts of ``source/da*.yaml``."""
    drafts = []
    for outcome in OUTCOMES:
        path = HERE / "source" / f"{outcome.lower()}.yaml"
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            kind = entry.get("type", "mcq")
            wrong = [(str(w["t"]), str(w["w"])) for w in entry.get("wrong", [])]
            key = entry.get("key")
            key = [str(k) for k in key] if isinstance(key, list) else key
            key = str(key) if key is not None and not isinstance(key, list) else key
            drafts.append(
                Draft(
                    outcome=outcome,
                    level=entry["level"],
                    stem=entry["stem"],
                    key=key,
                    why=entry.get("why", ""),
                    wrong=wrong,
                    type=kind,
                    order=entry.get("order", "shuffle"),
                    status=entry.get("status"),
                    tag=entry.get("tag"),
                    enemy=entry.get("enemy"),
                    guide=entry.get("guide"),
                )
            )
    return drafts


# ---------------------------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------------------------
def order_drafts(drafts: list[Draft], rng: random.Random) -> list[Draft]:
    """Outcome by outcome, hand-written and generated items interleaved; sets stay together."""
    ordered: list[Draft] = []
    for outcome in OUTCOMES:
        mine = [d for d in drafts if d.outcome == outcome]
        units: list[list[Draft]] = []
        by_set: dict[str, list[Draft]] = {}
        for d in mine:
            if d.set:
                if d.set not in by_set:
                    by_set[d.set] = []
                    units.append(by_set[d.set])
                by_set[d.set].append(d)
            else:
                units.append([d])
        rng.shuffle(units)
        for unit in units:
            ordered.extend(unit)
    return ordered


def assign_statuses(drafts: list[Draft], rng: random.Random) -> None:
    for outcome in OUTCOMES:
        mine = [d for d in drafts if d.outcome == outcome]
        for d in mine:
            if d.type == "rubric":
                d.status = RUBRIC_STATUS[outcome]
        free = [
            d for d in mine if d.status is None and not d.set and not d.enemy and d.type == "mcq"
        ]
        rng.shuffle(free)
        for status, count in STATUS_PLAN[outcome].items():
            for _ in range(count):
                free.pop().status = status
        for d in mine:
            if d.status is None:
                d.status = "operational"


def assign_options(drafts: list[Draft], rng: random.Random) -> list[tuple[dict, str | list]]:
    """Option letters for every draft: (options, key letter(s)), in the order of ``drafts``."""
    usage: Counter[str] = Counter()
    result: list[tuple[dict, str | list] | None] = [None] * len(drafts)

    def place(i: int, texts: list[str], key_texts: list[str]) -> None:
        options = {LETTERS[j]: t for j, t in enumerate(texts)}
        keys = [LETTERS[texts.index(k)] for k in key_texts]
        for k in keys:
            usage[k] += 1
        result[i] = (options, keys[0] if len(keys) == 1 else sorted(keys))

    # options whose order is determined by content first, then balance the others around them
    for i, d in enumerate(drafts):
        if d.type == "rubric":
            result[i] = ({}, "")
        elif d.order == "numeric":
            texts = sorted([d.key, *[w for w, _ in d.wrong]], key=number_of)
            place(i, texts, [d.key])
        elif d.order == "fixed":
            place(i, list(d.fixed_options), [d.key])
    for i, d in enumerate(drafts):
        if result[i] is not None:
            continue
        wrong = [w for w, _ in d.wrong]
        rng.shuffle(wrong)
        if d.type == "msq":
            n = len(d.key) + len(wrong)
            slots = sorted(rng.sample(range(n), len(d.key)))
            texts, keys, ws = [], list(d.key), list(wrong)
            for j in range(n):
                texts.append(keys.pop(0) if j in slots else ws.pop(0))
            place(i, texts, list(d.key))
            continue
        n = len(wrong) + 1
        letters = list(LETTERS[:n])
        least = min(usage[c] for c in letters)
        pos = LETTERS.index(rng.choice([c for c in letters if usage[c] == least]))
        texts = wrong[:pos] + [d.key] + wrong[pos:]
        place(i, texts, [d.key])
    return result  # type: ignore[return-value]


def rationale(d: Draft, options: dict, key: str | list) -> str:
    keys = [key] if isinstance(key, str) else key
    head = " and ".join(keys)
    lines = [f"Correct: {head}. {d.why.strip()}", ""]
    reasons = dict(d.wrong)
    for letter, text in options.items():
        if letter not in keys:
            lines.append(f"{letter} is wrong: {reasons[text].strip()}")
    return "\n".join(lines) + "\n"


def word_count(d: Draft) -> int:
    words = len(d.stem.split())
    if d.key:
        texts = [d.key] if isinstance(d.key, str) else d.key
        words += sum(len(t.split()) for t in texts) + sum(len(w.split()) for w, _ in d.wrong)
    return words


def expected_seconds(d: Draft) -> int:
    if d.type == "rubric":
        return 480 if d.level in ("evaluate", "create") else 420
    secs = 20 + 0.45 * word_count(d) + LEVEL_SECONDS[d.level] + (20 if d.model else 0)
    if d.type == "msq":
        secs += 15
    return int(5 * round(secs / 5))


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def metadata(d: Draft, rng: random.Random) -> dict:
    """Author, reviewers, dates, version and status history (all fictional, seeded)."""
    lead, second = WRITERS[d.outcome]
    author = lead if rng.random() < 0.65 else second
    reviewers = rng.sample([r for r in REVIEWERS if r != author], 2)
    if d.status in ("operational",):
        created = _day(rng, date(2024, 1, 8), date(2025, 3, 28))
        path = ["draft", "review", "approved", "pretest", "operational"]
    elif d.status == "retired":
        created = _day(rng, date(2023, 3, 1), date(2023, 12, 15))
        path = ["draft", "review", "approved", "pretest", "operational", "retired"]
    elif d.status == "pretest":
        created = _day(rng, date(2025, 6, 2), date(2026, 2, 27))
        path = ["draft", "review", "approved", "pretest"]
    elif d.status == "approved":
        created = _day(rng, date(2026, 3, 2), date(2026, 6, 30))
        path = ["draft", "review", "approved"]
    elif d.status == "review":
        created = _day(rng, date(2026, 7, 1), date(2026, 9, 30))
        path = ["draft", "review"]
    else:
        created = _day(rng, date(2026, 9, 1), date(2026, 11, 13))
        path = ["draft"]
    history = [{"date": created, "event": "created", "status": "draft", "by": author}]
    when = created
    steps = max(1, len(path) - 1)
    span = max(10, min(120, (LAST_DAY - created).days // steps))
    for prev, new in zip(path, path[1:], strict=False):
        when = when + timedelta(days=rng.randint(10, span))
        entry = {
            "date": when,
            "event": "status",
            "from": prev,
            "to": new,
            "by": author if new == "review" else reviewers[0],
        }
        if new == "retired":
            entry["note"] = rng.choice(
                [
                    "overexposed: used on every form since 2023",
                    "superseded by a revised item on the same content",
                ]
            )
        history.append(entry)
    version = 1 + sum(1 for _ in range(2) if rng.random() < 0.35) if len(path) > 2 else 1
    return {
        "author": author,
        "reviewers": reviewers if len(path) > 1 else [],
        "created": created,
        "updated": when,
        "version": version,
        "history": history,
    }


def build(seed: int = SEED) -> tuple[list[dict], dict[str, dict]]:
    """All items (as dicts in file order) and all sets, fully checked."""
    drafts = load_sources() + generate(seed)
    rng = random.Random(seed)
    drafts = order_drafts(drafts, rng)
    assign_statuses(drafts, rng)
    ids = [f"DA-{i + 1:04d}" for i in range(len(drafts))]
    tag_to_id = {d.tag: ids[i] for i, d in enumerate(drafts) if d.tag}
    placed = assign_options(drafts, rng)
    items = []
    set_members: dict[str, list[str]] = {}
    for i, (d, (options, key)) in enumerate(zip(drafts, placed, strict=True)):
        meta = metadata(d, rng)
        item = {
            "id": ids[i],
            "version": meta["version"],
            "status": d.status,
            "outcome": d.outcome,
            "cognitive_level": d.level,
            "type": d.type,
            "stem": d.stem,
        }
        if d.type == "rubric":
            item["max_score"] = len(d.guide) - 1
            item["score_levels"] = {
                int(g.split(":", 1)[0]): g.split(":", 1)[1].strip() for g in d.guide
            }
        else:
            item["options"] = options
            item["key"] = key
            item["rationale"] = rationale(d, options, key)
        item["enemies"] = [tag_to_id[d.enemy]] if d.enemy else []
        item["set"] = d.set
        item["author"] = meta["author"]
        item["reviewers"] = meta["reviewers"]
        item["created"] = meta["created"]
        item["updated"] = meta["updated"]
        item["expected_seconds"] = expected_seconds(d)
        item["word_count"] = word_count(d)
        if d.model:
            item["tags"] = ["item-model", d.model]
            item["source"] = (
                f"item model '{d.model}' in item_bank/tools/item_models.py (seed {seed})"
            )
        else:
            item["source"] = f"item_bank/tools/source/{d.outcome.lower()}.yaml"
        item["irt"] = None
        item["stats"] = None
        item["history"] = meta["history"]
        item["exposure"] = {"forms": [], "administrations": 0, "last_used": None}
        items.append(item)
        if d.set:
            set_members.setdefault(d.set, []).append(ids[i])
    sets = {
        sid: {
            "id": sid,
            "title": s["title"],
            "outcomes": s["outcomes"],
            "items": set_members[sid],
            "stimulus": s["stimulus"],
        }
        for sid, s in SETS.items()
    }
    problems = self_check(drafts, items, sets)
    if problems:
        raise SystemExit("self-check failed:\n  " + "\n  ".join(problems))
    return items, sets


def self_check(drafts: list[Draft], items: list[dict], sets: dict[str, dict]) -> list[str]:
    """Every problem found in the built bank (an empty list means the bank is consistent)."""
    problems = []
    for d, item in zip(drafts, items, strict=True):
        where = item["id"]
        problems += [f"{where}: {p}" for p in check_draft(d)]
        if item["type"] == "rubric":
            if list(item["score_levels"]) != list(range(item["max_score"] + 1)):
                problems.append(f"{where}: rubric scores are not 0..K-1")
            continue
        texts = list(item["options"].values())
        if len(set(texts)) != len(texts):
            problems.append(f"{where}: duplicate option texts")
        if len(texts) < 3:
            problems.append(f"{where}: fewer than 3 options")
        keys = [item["key"]] if isinstance(item["key"], str) else item["key"]
        if any(k not in item["options"] for k in keys):
            problems.append(f"{where}: key not among the options")
        expected = [d.key] if isinstance(d.key, str) else d.key
        if sorted(item["options"][k] for k in keys) != sorted(expected):
            problems.append(f"{where}: the keyed option text is not the authored key")
        low = (item["stem"] + " ".join(texts)).lower()
        if "all of the above" in low or "none of the above" in low:
            problems.append(f"{where}: all/none of the above")
        bare = re.sub(r"```.*?```|`[^`]*`|\*\*[^*]+\*\*", "", item["stem"], flags=re.S)
        if re.search(r"\b(NOT|EXCEPT)\b", bare):
            problems.append(f"{where}: negative stem (NOT/EXCEPT) without emphasis")
    by_id = {item["id"]: item for item in items}
    for item in items:
        for e in item["enemies"]:
            if item["id"] not in by_id[e]["enemies"]:
                problems.append(f"{item['id']}: enemy {e} is not mutual")
    for sid, s in sets.items():
        if not 3 <= len(s["items"]) <= 4:
            problems.append(f"{sid}: a set must have 3-4 items")
        for iid in s["items"]:
            if by_id[iid]["set"] != sid:
                problems.append(f"{sid}: {iid} does not point back to the set")
    ids = [item["id"] for item in items]
    if len(set(ids)) != len(ids):
        problems.append("duplicate ids")
    stems = [item["stem"] for item in items]
    if len(set(stems)) != len(stems):
        dup = [s[:60] for s, c in Counter(stems).items() if c > 1]
        problems.append(f"duplicate stems: {dup}")
    return problems


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_item(item: dict) -> str:
    """Item text in the bank's canonical layout (the same writer the bank commands use)."""
    try:
        from psychometrics.bank.yamlio import dump_item as canonical
    except ImportError:  # the bank package is not installed: plain block-style YAML
        return yaml.dump(item, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return canonical(item)


def write(items: list[dict], sets: dict[str, dict]) -> int:
    from psychometrics.fileio import atomic_write_text

    items_dir = BANK / "items"
    written = 0
    for item in items:
        path = items_dir / f"{item['id']}.yaml"
        if path.exists():
            old = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for name in PRESERVED:
                if old.get(name) is not None and name in old:
                    item[name] = old[name]
        text = dump_item(item)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            atomic_write_text(path, text)
            written += 1
    for sid, s in sets.items():
        atomic_write_text(BANK / "sets" / f"{sid}.yaml", dump_item(s))
    return written


def report(items: list[dict]) -> str:
    """A short summary: counts by outcome/status/type, key positions, long keys."""
    lines = [f"{len(items)} items"]
    lines.append("by outcome: " + str(dict(sorted(Counter(i["outcome"] for i in items).items()))))
    lines.append("by status: " + str(dict(Counter(i["status"] for i in items))))
    lines.append("by type: " + str(dict(Counter(i["type"] for i in items))))
    lines.append("by level: " + str(dict(Counter(i["cognitive_level"] for i in items))))
    keys = Counter(i["key"] for i in items if i["type"] == "mcq")
    lines.append("mcq key positions: " + str(dict(sorted(keys.items()))))
    longest = 0
    mcq = [i for i in items if i["type"] == "mcq"]
    for i in mcq:
        lens = {k: len(v) for k, v in i["options"].items()}
        if lens[i["key"]] == max(lens.values()):
            longest += 1
    lines.append(f"key is (one of) the longest option: {longest} of {len(mcq)} mcq")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="write items/ and sets/")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    items, sets = build(args.seed)
    print(report(items))
    if args.write:
        print(f"wrote {write(items, sets)} item files")
        return 0
    differ = []
    for item in items:
        path = BANK / "items" / f"{item['id']}.yaml"
        if not path.exists():
            differ.append(f"{item['id']}: missing")
            continue
        old = yaml.safe_load(path.read_text(encoding="utf-8"))
        for name in item:
            if name not in PRESERVED and old.get(name) != item[name]:
                differ.append(f"{item['id']}: {name} differs from the authoring sources")
    print(f"self-check passed; {len(differ)} differences from the files on disk")
    for line in differ[:20]:
        print("  " + line)
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
